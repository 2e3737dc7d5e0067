"""`llmlog check` on crafted calls: each metric kind firing and not, windows and `for`,
rollups for closed days, notify once then resolve, and the command's exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from llmlog.check.evaluate import evaluate_rule
from llmlog.check.run import check
from llmlog.store.batch import BatchWriter
from tests.check.conftest import NOW, Webhook, rule
from tests.cli.run import llmlog
from tests.reports.conftest import call

Add = Callable[..., None]
MIN = timedelta(minutes=1)


def values(reader: psycopg.Connection, **keys: Any) -> dict[str, tuple[float, bool]]:
    """The rule's value and whether it breaches, per scope."""
    return {
        f.scope: (round(f.value, 4), f.breached) for f in evaluate_rule(reader, rule(**keys), NOW)
    }


@pytest.mark.parametrize(
    ("metric", "column"),
    [("p50_latency_ms", "latency_ms"), ("p95_latency_ms", "latency_ms"),
     ("p99_latency_ms", "latency_ms"), ("p95_ttft_ms", "ttft_ms")],
)  # fmt: skip
def test_percentiles_over_the_window_fire_above_the_threshold(
    add: Add, reader: psycopg.Connection, metric: str, column: str
) -> None:
    add(2 * MIN, 10, **{column: 900.0})
    add(20 * MIN, 10, **{column: 9000.0})  # outside the 10 minutes
    assert values(reader, metric=metric, threshold=800, window="10m") == {"": (900.0, True)}
    assert values(reader, metric=metric, threshold=950, window="10m") == {"": (900.0, False)}
    wide = values(reader, metric=metric, threshold=800, window="30 minutes")
    assert wide[""][0] > 900
    assert values(reader, metric=metric, threshold=800, window="10m", min_calls=11) == {}


def test_error_refusal_calls_and_output_length_per_scope(
    add: Add, reader: psycopg.Connection
) -> None:
    add(MIN, 7, output_tokens=100)
    add(MIN, 3, status="error", finish_reason="error", output_tokens=0)
    add(MIN, 4, feature="chat", finish_reason="refusal", output_tokens=10)
    add(MIN, 1, feature="chat", output_tokens=50)
    per_feature = {"scope": "feature", "window": "5m"}
    assert values(reader, metric="error_rate", threshold=0.2, **per_feature) == {
        "feature=chat": (0.0, False), "feature=support": (0.3, True)}  # fmt: skip
    assert values(reader, metric="refusal_rate", threshold=0.5, **per_feature) == {
        "feature=chat": (0.8, True), "feature=support": (0.0, False)}  # fmt: skip
    assert values(reader, metric="output_tokens", threshold=50, **per_feature) == {
        "feature=chat": (18.0, False), "feature=support": (70.0, True)}  # fmt: skip
    assert values(reader, metric="calls", threshold=12, window="5m") == {"": (15.0, True)}
    assert values(reader, metric="calls", threshold=10, window="5m", feature="support") == {
        "": (10.0, False)}  # fmt: skip


def test_no_traffic_at_all_is_zero_calls(reader: psycopg.Connection) -> None:
    assert values(reader, metric="calls", op="<", threshold=1, window="1h") == {"": (0.0, True)}


def day_before(n: int) -> datetime:
    return datetime.combine(NOW.date() - timedelta(days=n), time(9), UTC)


def spend(store: psycopg.Connection, at: datetime, usd: str, **fields: Any) -> None:
    fields.setdefault("feature", "support")
    BatchWriter(store).write([call(at, cost_usd=Decimal(usd), latency_ms=100.0, **fields)])


def roll_and_drop_closed_days(store: psycopg.Connection) -> None:
    """Roll every closed day into llm_calls_daily, then remove their rows: only the
    rollups can answer for them now."""
    days = store.execute(
        "SELECT DISTINCT (ts AT TIME ZONE 'UTC')::date FROM llm_calls WHERE ts < %s",
        (datetime.combine(NOW.date(), time(0), UTC),),
    ).fetchall()
    for (day,) in days:
        store.execute("SELECT llmlog_roll_day(%s)", (day,))
    store.execute(
        "DELETE FROM llm_calls WHERE ts < %s", (datetime.combine(NOW.date(), time(0), UTC),)
    )


def test_a_day_over_budget_from_a_number_a_per_scope_budget_or_history(
    store: psycopg.Connection, reader: psycopg.Connection
) -> None:
    for n in range(1, 7):  # support: $3 a day for 6 days: $0.60 a day over 30
        spend(store, day_before(n), "3")
    spend(store, NOW - MIN, "1.5")
    spend(store, NOW - MIN, "4", feature="chat")
    roll_and_drop_closed_days(store)
    keys = {"metric": "cost_per_day", "scope": "feature", "threshold": 2}
    assert values(reader, budget="history", **keys) == {"feature=support": (1.5, True)}
    assert values(reader, budget=1, **keys) == {
        "feature=chat": (4.0, True), "feature=support": (1.5, False)}  # fmt: skip
    per_feature = values(reader, budget=1, budgets={"chat": 5}, **keys)
    assert per_feature["feature=chat"] == (4.0, False)
    (finding,) = [f for f in evaluate_rule(reader, rule(budget="history", **keys), NOW)]
    assert finding.threshold == pytest.approx(2 * 18 / 30)


def test_a_tenant_above_its_mean_plus_k_sigma(
    store: psycopg.Connection, reader: psycopg.Connection
) -> None:
    for n in range(1, 31):
        spend(store, day_before(n), "2" if n % 2 else "4", tenant_id="spiky")  # mean 3, σ 1
        spend(store, day_before(n), "1", tenant_id="steady")
    spend(store, NOW - MIN, "6.5", tenant_id="spiky")
    spend(store, NOW - MIN, "1", tenant_id="steady")
    spend(store, NOW - MIN, "50", tenant_id="new")  # no normal yet: not judged
    roll_and_drop_closed_days(store)
    got = evaluate_rule(reader, rule(metric="spend_sigma", scope="tenant", threshold=3), NOW)
    assert {f.scope: (f.value, round(f.threshold, 6), f.breached) for f in got} == {
        "tenant=spiky": (6.5, 6.0, True), "tenant=steady": (1.0, 1.0, False)}  # fmt: skip
    loose = values(reader, metric="spend_sigma", scope="tenant", threshold=4)
    assert loose["tenant=spiky"] == (6.5, False)


def test_a_judge_score_drop_week_over_week(
    store: psycopg.Connection, reader: psycopg.Connection
) -> None:
    def scored(feature: str, days_ago: float, score: float) -> None:
        record = call(NOW - timedelta(days=days_ago), feature=feature, latency_ms=1.0)
        BatchWriter(store).write([record])
        store.execute(
            "INSERT INTO llm_scores (call_id, call_ts, judge_model, rubric, rubric_sha256, "
            "status, score, passed) VALUES (%s, %s, 'j', 'general', 'h', 'scored', %s, true)",
            (record["id"], record["ts"], score),
        )

    for k in range(3):
        scored("support", 10 + k, 80)
        scored("support", 2 + k, 72)
        scored("chat", 10 + k, 80)
        scored("chat", 2 + k, 78)
    keys = {"metric": "score_drop_wow", "scope": "feature", "threshold": 5}
    assert values(reader, **keys) == {"feature=chat": (2.0, False), "feature=support": (8.0, True)}
    assert values(reader, min_calls=4, **keys) == {}


def test_for_holds_a_breach_pending_until_it_has_lasted(
    add: Add, reader: psycopg.Connection
) -> None:
    add(MIN, 5, latency_ms=6000.0)
    slow = [rule(metric="p95_latency_ms", threshold=5000, window="1h", **{"for": "5m"})]
    first = check(reader, slow, now=NOW)
    assert [(a.firing, a.since) for a in first.alerts] == [(False, NOW)]
    later = check(reader, slow, now=NOW + 6 * MIN)
    assert [(a.firing, a.since) for a in later.alerts] == [(True, NOW + 6 * MIN)]
    assert check(reader, slow, now=NOW + 61 * MIN).resolved[0].rule == "r"


def test_notify_posts_once_on_start_and_once_on_resolve(
    add: Add, reader: psycopg.Connection, store: psycopg.Connection, webhook: Webhook
) -> None:
    add(MIN, 5, latency_ms=6000.0)
    slow = [rule(metric="p95_latency_ms", threshold=5000, window="10m")]
    for minutes in (0, 1, 2):
        outcome = check(reader, slow, now=NOW + minutes * MIN, notify_url=webhook.url)
        assert len(outcome.firing) == 1 and outcome.problems == []
    (started,) = webhook.posts
    assert started["text"].startswith(
        "llmlog: FIRING r (all calls): p95_latency_ms 6,000 ms > 5,000"
    )
    for minutes in (20, 21):  # the slow calls left the window
        assert check(reader, slow, now=NOW + minutes * MIN, notify_url=webhook.url).firing == []
    assert [p["text"][:20] for p in webhook.posts] == [
        "llmlog: FIRING r (al",
        "llmlog: RESOLVED r (",
    ]
    assert store.execute("SELECT count(*) FROM llm_check_state").fetchone() == (0,)


def test_a_failing_webhook_is_reported_and_tried_again(
    add: Add, reader: psycopg.Connection, webhook: Webhook
) -> None:
    add(MIN, 5, latency_ms=6000.0)
    slow = [rule(metric="p95_latency_ms", threshold=5000, window="10m")]
    webhook.status = 500
    failed = check(reader, slow, now=NOW, notify_url=webhook.url)
    assert failed.problems == [
        f"the webhook at 127.0.0.1:{webhook.server_address[1]} answered HTTP 500"
    ]
    webhook.status = 200
    check(reader, slow, now=NOW + MIN, notify_url=webhook.url)
    assert len(webhook.posts) == 1
    unreachable = "http://127.0.0.1:9/hook"  # the resolve cannot be posted: kept for later
    gone = check(reader, slow, now=NOW + 30 * MIN, notify_url=unreachable)
    assert gone.problems and "cannot reach the webhook at 127.0.0.1:9" in gone.problems[0]
    again = check(reader, slow, now=NOW + 31 * MIN, notify_url=webhook.url)
    assert [r.rule for r in again.resolved] == ["r"] and again.problems == []
    assert webhook.posts[-1]["text"].startswith("llmlog: RESOLVED r (all calls)")


def test_the_command_exits_5_when_a_rule_fires_and_0_when_none_does(
    add: Add, store_url: str, tmp_path: Path, webhook: Webhook
) -> None:
    add(MIN, 5, latency_ms=6000.0)
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[rule]]\nname = "slow"\nmetric = "p95_latency_ms"\nthreshold = 5000\nwindow = "10m"\n'
        '[[rule]]\nname = "busy"\nmetric = "calls"\nthreshold = 100\nwindow = "10m"\n'
    )
    at = ("--now", NOW.isoformat())
    fired = llmlog("--db", store_url, "check", "--rules", str(rules), *at, "--notify", webhook.url)
    assert fired.code == 5, fired.stderr
    assert fired.stdout.splitlines() == [
        f"slow (all calls): p95_latency_ms 6,000 ms > 5,000 ms over the last 10m, since "
        f"{NOW:%Y-%m-%d %H:%M} UTC"
    ]
    assert "2 rules checked" in fired.stderr and "SECRET" not in fired.stderr
    as_json = llmlog("--db", store_url, "check", "--rules", str(rules), *at, "-f", "json")
    assert as_json.code == 5
    (alert,) = json.loads(as_json.stdout)
    assert (alert["rule"], alert["state"], alert["value"], alert["notified"]) == (
        "slow",
        "firing",
        6000.0,
        True,
    )
    later = ("--now", (NOW + 30 * MIN).isoformat())
    quiet = llmlog(
        "--db", store_url, "check", "--rules", str(rules), *later, "--notify", webhook.url
    )
    assert (quiet.code, quiet.stdout) == (0, "")
    assert "resolved: slow (all calls)" in quiet.stderr
    assert len(webhook.posts) == 2


def test_a_firing_scope_is_printed_literally(add: Add, store_url: str, tmp_path: Path) -> None:
    """A scope is a stored label (a feature, a tenant): its escape sequences are shown, not
    sent to the terminal."""
    add(MIN, 5, latency_ms=6000.0, feature="\x1b[31mred[/] \u202egnp")
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[rule]]\nname = "slow"\nmetric = "p95_latency_ms"\nthreshold = 5000\n'
        'window = "10m"\nscope = "feature"\nmin_calls = 1\n'
    )
    fired = llmlog("--db", store_url, "check", "--rules", str(rules), "--now", NOW.isoformat())
    assert fired.code == 5, fired.stderr
    (line,) = fired.stdout.splitlines()
    assert line.startswith("slow (feature=\\x1b[31mred[/] \\u202egnp): p95_latency_ms 6,000 ms")
