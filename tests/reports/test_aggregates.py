"""errors, cost, top users/tenants, latency and drift: values computed by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from llmlog.store.batch import BatchWriter
from llmlog.store.records import Record
from tests.reports.conftest import NOW, call


def rows(result: Any) -> list[dict[str, Any]]:
    assert result.code == 0, result.err
    return json.loads(result.out) if result.out else []


def test_errors_grouped_and_listed(calls: dict[str, Record], llmlog: Any) -> None:
    week = rows(llmlog("errors", "-f", "json"))
    assert [(r["error_type"], r["model"], r["feature"], r["errors"]) for r in week] == [
        ("rate_limit", "claude-haiku", "summarize", 1)
    ]
    assert week[0]["example_id"] == str(calls["d"]["id"])
    month = rows(llmlog("errors", "--since", "30d", "-f", "json"))
    assert [r["error_type"] for r in month] == ["rate_limit", "timeout"]
    listed = rows(llmlog("errors", "--list", "-f", "json"))
    assert [(r["id"], r["error_message"]) for r in listed] == [
        (str(calls["d"]["id"]), "rate limited, retry later")
    ]
    none = llmlog("errors", "--feature", "chat")
    assert (none.code, none.out, "no errors" in none.err) == (0, "", True)


def test_cost_by_feature_total(calls: dict[str, Record], llmlog: Any) -> None:
    got = rows(llmlog("cost-by-feature", "--by", "total", "-f", "json"))
    assert got == [
        {"feature": "chat", "calls": 5, "errors": 1, "cost_usd": 1.113,
         "input_tokens": 1610, "output_tokens": 160},
        {"feature": "summarize", "calls": 2, "errors": 1, "cost_usd": 0.01,
         "input_tokens": 900, "output_tokens": 50},
    ]  # fmt: skip
    tenant = rows(llmlog("cost-by-feature", "--by", "total", "--tenant", "globex", "-f", "json"))
    assert [(r["feature"], r["calls"], r["cost_usd"]) for r in tenant] == [
        ("chat", 1, 0.01),
        ("summarize", 2, 0.01),
    ]


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def daily_row(day: str, **values: Any) -> dict[str, Any]:
    row = {
        "day": day, "tenant_id": "acme", "feature": "f", "provider": "openai",
        "model": "gpt-4o-mini", "prompt_version": None, "calls": 1, "errors": 0,
        "refusals": 0, "input_tokens": 0, "output_tokens": 0, "cache_read_tokens": 0,
        "cache_write_tokens": 0, "reasoning_tokens": 0, "cost_usd": Decimal(0),
        "latency_ms_sum": 0.0, "latency_hist": [0] * 60, "ttft_calls": 0, "ttft_ms_sum": 0.0,
        "ttft_hist": [0] * 60,
    }  # fmt: skip
    row.update(values)
    return row


def roll_up(store: psycopg.Connection, *rows: dict[str, Any]) -> None:
    """Daily rows as retention would leave them: current, and marked dropped on days
    without rows in llm_calls (reports then read those days only from the rollup)."""
    for row in rows:
        names = ", ".join(row)
        marks = ", ".join(f"%({k})s" for k in row)
        store.execute(f"INSERT INTO llm_calls_daily ({names}) VALUES ({marks})", row)
        store.execute(
            "INSERT INTO llm_calls_days AS s (day, rolled_changes, rolled_at, dropped_at) "
            "SELECT %(day)s, 0, now(), CASE WHEN NOT EXISTS (SELECT 1 FROM llm_calls "
            "WHERE (ts AT TIME ZONE 'UTC')::date = %(day)s::date) THEN now() END "
            "ON CONFLICT (day) DO UPDATE SET rolled_changes = s.changes, "
            "dropped_at = excluded.dropped_at",
            row,
        )


@pytest.fixture
def march(store: psycopg.Connection) -> None:
    """Spend of feature f on fixed days: Mon 2 Mar 1$, Tue 3 Mar 2$, Mon 9 Mar 4$, Wed 1 Apr 8$."""
    common = {"feature": "f", "tenant_id": "acme", "latency_ms": 100.0}
    BatchWriter(store).write([
        call(at("2026-03-02"), **common, cost_usd=Decimal(1)),
        call(at("2026-03-03"), **common, cost_usd=Decimal(2)),
        call(at("2026-03-09"), **common, cost_usd=Decimal(4)),
        call(at("2026-04-01"), **common, cost_usd=Decimal(8)),
    ])  # fmt: skip


WINDOW = ("--since", "2026-03-01", "--until", "2026-05-01", "-f", "json")


@pytest.mark.parametrize(
    ("by", "want"),
    [
        (
            "day",
            [("2026-03-02", 1.0), ("2026-03-03", 2.0), ("2026-03-09", 4.0), ("2026-04-01", 8.0)],
        ),
        ("week", [("2026-03-02", 3.0), ("2026-03-09", 4.0), ("2026-03-30", 8.0)]),
        ("month", [("2026-03-01", 7.0), ("2026-04-01", 8.0)]),
    ],
)
def test_cost_by_period(march: None, llmlog: Any, by: str, want: list[tuple[str, float]]) -> None:
    got = rows(llmlog("cost-by-feature", "--by", by, *WINDOW))
    assert [(r[by], r["cost_usd"]) for r in got] == want
    assert set(got[0]) == {
        by,
        "feature",
        "calls",
        "errors",
        "cost_usd",
        "input_tokens",
        "output_tokens",
    }


def test_rolled_up_days_come_from_the_daily_table(
    march: None, llmlog: Any, store: psycopg.Connection
) -> None:
    # 3 Mar is rolled up (its aggregate says 2.5$, not the hot row's 2$); 4 Mar exists only
    # in llm_calls_daily. A user filter reads rows: none for 4 Mar, whose rows are gone.
    roll_up(
        store,
        daily_row("2026-03-03", cost_usd=Decimal("2.5")),
        daily_row("2026-03-04", calls=3, errors=1, cost_usd=Decimal(16)),
    )
    got = rows(llmlog("cost-by-feature", "--by", "month", *WINDOW))
    assert [(r["month"], r["calls"], r["errors"], r["cost_usd"]) for r in got] == [
        ("2026-03-01", 6, 1, 23.5),
        ("2026-04-01", 1, 0, 8.0),
    ]
    by_user = rows(llmlog("cost-by-feature", "--by", "month", "--user", "nobody", *WINDOW))
    assert by_user == []
    errors = rows(llmlog("errors", *WINDOW))
    assert [(r["error_type"], r["errors"]) for r in errors] == [(None, 1)]


def test_window_starting_on_rolled_up_days_counts_them_once(
    march: None, llmlog: Any, store: psycopg.Connection
) -> None:
    # 2 and 3 Mar are rolled up while their rows are still there: 3 Mar counts once, from
    # the daily table; 2 Mar, only half in the window, from its rows (the call at 12:00).
    roll_up(
        store,
        daily_row("2026-03-02", cost_usd=Decimal("1.5")),
        daily_row("2026-03-03", cost_usd=Decimal("2.5")),
    )
    window = ("--since", "2026-03-02T12:00", "--until", "2026-05-01", "-f", "json")
    got = rows(llmlog("cost-by-feature", "--by", "day", *window))
    assert [(r["day"], r["calls"], r["cost_usd"]) for r in got] == [
        ("2026-03-02", 1, 1.0),
        ("2026-03-03", 1, 2.5),
        ("2026-03-09", 1, 4.0),
        ("2026-04-01", 1, 8.0),
    ]


def test_latency_percentiles_exact_on_hot_rows(calls: dict[str, Record], llmlog: Any) -> None:
    got = rows(llmlog("latency", "--by", "feature", "-f", "json"))
    assert got == [
        {"feature": "summarize", "calls": 2, "p50_ms": 700.0, "p95_ms": 970.0, "p99_ms": 994.0,
         "approximate": False},
        {"feature": "chat", "calls": 3, "p50_ms": 200.0, "p95_ms": 290.0, "p99_ms": 298.0,
         "approximate": False},
    ]  # fmt: skip
    ttft = rows(llmlog("latency", "--by", "feature", "--metric", "ttft", "-f", "json"))
    assert [(r["feature"], r["calls"], r["p50_ms"], r["p95_ms"]) for r in ttft] == [
        ("summarize", 1, 100.0, 100.0),
        ("chat", 3, 40.0, 58.0),
    ]
    both = rows(llmlog("latency", "--by", "provider,model", "-f", "json"))
    assert [(r["provider"], r["model"], r["calls"]) for r in both] == [
        ("anthropic", "claude-haiku", 2), ("openai", "gpt-4o", 1), ("openai", "gpt-4o-mini", 2)
    ]  # fmt: skip
    assert llmlog("latency", "--by", "colour").code == 2


def test_latency_of_rolled_up_days_from_histograms(
    march: None, llmlog: Any, store: psycopg.Connection
) -> None:
    hist = [0] * 60
    hist[29] = 10  # bucket 30: [10^2.9, 10^3) ms, read as its midpoint 10^2.95 ms
    roll_up(store, daily_row("2026-03-20", feature="g", calls=10, latency_hist=hist))
    got = rows(llmlog("latency", "--by", "feature", *WINDOW))
    cold = next(r for r in got if r["feature"] == "g")
    assert cold["calls"] == 10 and cold["approximate"] is True
    # interpolated inside the bucket: p50 is its geometric middle, p99 near its top
    assert cold["p50_ms"] == pytest.approx(10**2.95) and cold["p99_ms"] == pytest.approx(10**2.999)
    hot = next(r for r in got if r["feature"] == "f")
    assert (hot["calls"], hot["p50_ms"], hot["approximate"]) == (4, 100.0, False)


def test_drift_by_prompt_version_and_model(calls: dict[str, Record], llmlog: Any) -> None:
    got = rows(llmlog("drift", "-f", "json"))
    assert set(got[0]) == {
        "prompt_version", "calls", "avg_output_tokens", "refusal_rate", "error_rate",
        "avg_cost_usd", "p95_ms",
    }  # fmt: skip
    v2, unversioned = got
    assert (v2["prompt_version"], v2["calls"], v2["avg_output_tokens"]) == ("v2", 1, 50.0)
    # p95 from the log-bucket histogram: 1000 ms sits in [10^3.0, 10^3.1), one call
    assert v2["p95_ms"] == pytest.approx(10 ** (3 + 0.095))
    assert unversioned["prompt_version"] is None and unversioned["calls"] == 6
    assert unversioned["avg_output_tokens"] == pytest.approx(160 / 6)
    assert unversioned["error_rate"] == pytest.approx(2 / 6)
    assert unversioned["avg_cost_usd"] == pytest.approx(1.117 / 6)
    # exact p95 is 475 ms; 400 and 500 share bucket 27 [10^2.6, 10^2.7): 85% into it
    assert unversioned["p95_ms"] == pytest.approx(10 ** ((26 + 0.85) / 10))
    models = rows(llmlog("drift", "--by", "model", "--feature", "summarize", "-f", "json"))
    assert [(r["model"], r["calls"], r["error_rate"]) for r in models] == [("claude-haiku", 2, 0.5)]


def test_refusals_and_untimed_calls_in_drift(store: psycopg.Connection, llmlog: Any) -> None:
    BatchWriter(store).write([
        call(NOW - timedelta(minutes=n), prompt_version="v9", latency_ms=10.0,
             finish_reason="refusal" if n < 2 else "stop")
        for n in range(4)
    ] + [call(NOW, prompt_version="v9", status="error", latency_ms=None)])  # fmt: skip
    (v9,) = rows(llmlog("drift", "-f", "json"))
    assert (v9["calls"], v9["refusal_rate"], v9["error_rate"]) == (5, 0.4, 0.2)
    assert 10 <= v9["p95_ms"] < 10**1.1  # the call without a latency is not a 1 ms one


def test_cost_by_model_and_top_users(calls: dict[str, Record], llmlog: Any) -> None:
    models = rows(llmlog("cost-by-model", "-f", "json"))
    mini = models[0]
    assert (mini["model"], mini["calls"], mini["cost_usd"]) == ("gpt-4o-mini", 4, 1.103)
    assert mini["avg_cost_usd"] == pytest.approx(1.103 / 4)
    assert mini["p95_cost_usd"] == pytest.approx(0.865)
    assert mini["share"] == pytest.approx(1.103 / 1.123)
    assert sum(m["share"] for m in models) == pytest.approx(1.0)
    users = rows(llmlog("top-users", "-f", "json"))
    assert [(u["user_id"], u["calls"], u["cost_usd"]) for u in users] == [
        ("u2", 2, 1.002), ("u1", 3, 0.111), ("u3", 2, 0.01)
    ]  # fmt: skip
    assert [u["user_id"] for u in rows(llmlog("top-users", "-n", "1", "-f", "json"))] == ["u2"]


def test_top_tenants_flags_todays_outlier(store: psycopg.Connection, llmlog: Any) -> None:
    midnight = NOW.replace(hour=0, minute=0, second=0, microsecond=0)
    records = [
        call(midnight + timedelta(seconds=1), tenant_id="spiky", cost_usd=Decimal(5)),
        call(midnight + timedelta(seconds=2), tenant_id="steady", cost_usd=Decimal(1)),
    ]
    for days_back in range(1, 7):
        day = midnight - timedelta(days=days_back) + timedelta(hours=1)
        records += [call(day, tenant_id="spiky", cost_usd=Decimal("0.01")),
                    call(day, tenant_id="steady", cost_usd=Decimal(1))]  # fmt: skip
    BatchWriter(store).write(records)
    got = {r["tenant_id"]: r for r in rows(llmlog("top-tenants", "--since", "7d", "-f", "json"))}
    assert got["spiky"]["outlier"] is True and got["steady"]["outlier"] is False
    assert got["spiky"]["today_cost_usd"] == 5.0
    assert got["steady"]["mean_daily_usd"] == pytest.approx(6 / 7)
    assert got["steady"]["calls"] == 7


def test_drift_counts_rolled_up_days(march: None, llmlog: Any, store: psycopg.Connection) -> None:
    hist = [0] * 60
    hist[29] = 4  # four calls of ~900 ms
    roll_up(
        store,
        daily_row("2026-03-20", prompt_version="v1", calls=4, errors=1, refusals=2,
                  output_tokens=400, cost_usd=Decimal(2), latency_hist=hist),
    )  # fmt: skip
    got = {r["prompt_version"]: r for r in rows(llmlog("drift", *WINDOW))}
    v1 = got["v1"]
    assert (v1["calls"], v1["avg_output_tokens"], v1["refusal_rate"], v1["error_rate"]) == (
        4, 100.0, 0.5, 0.25
    )  # fmt: skip
    assert v1["avg_cost_usd"] == 0.5
    assert 10**2.9 <= v1["p95_ms"] < 10**3.0
    assert got[None]["calls"] == 4  # the march fixture's hot calls, unversioned


def test_default_window_ends_at_until(march: None, llmlog: Any) -> None:
    # 30 days back from 2 Apr 00:00 reaches 3 Mar 00:00: 3 Mar, 9 Mar and 1 Apr, not 2 Mar
    got = rows(llmlog("cost-by-feature", "--by", "total", "--until", "2026-04-02", "-f", "json"))
    assert [(r["calls"], r["cost_usd"]) for r in got] == [(3, 14.0)]
