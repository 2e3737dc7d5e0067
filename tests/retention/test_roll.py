"""Rolling closed days into llm_calls_daily: values, idempotence, late changes, reports."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

from llmlog.capture.feedback import set_feedback
from llmlog.ids import new_id, ts_of
from llmlog.store.batch import BatchWriter
from llmlog.store.records import Record
from llmlog.store.retention import roll_day
from tests.retention.conftest import MARCH, at, day_calls, retain


def daily(store: psycopg.Connection, day: str) -> list[tuple[Any, ...]]:
    return store.execute(
        "SELECT tenant_id, feature, calls, errors, input_tokens, output_tokens, cost_usd, "
        "latency_ms_sum, latency_ms_max, latency_hist, ttft_calls, ttft_ms_sum, ttft_hist, "
        "feedback_up, feedback_down FROM llm_calls_daily WHERE day = %s "
        "ORDER BY tenant_id, feature",
        (day,),
    ).fetchall()


def hist(*buckets: int) -> list[int]:
    counts = [0] * 60
    for k in buckets:
        counts[k - 1] += 1
    return counts


def test_a_rolled_day_holds_the_sums_and_histograms_of_its_rows(
    march: list[Record], store: psycopg.Connection
) -> None:
    retain(store, "2026-03-11T00:30+00:00")
    # acme: calls 0 (search, 100 ms) and 1 (chat, 200 ms); globex: 2 (search, error,
    # 300 ms) and 3 (chat, no latency: counted, not in the histogram)
    assert daily(store, "2026-03-02") == [
        ("acme", "chat", 1, 0, 200, 10, Decimal("0.02"), 200.0, 200.0, hist(24), 1, 20.0,
         hist(14), 0, 0),
        ("acme", "search", 1, 0, 100, 10, Decimal("0.01"), 100.0, 100.0, hist(21), 1, 20.0,
         hist(14), 0, 0),
        ("globex", "chat", 1, 0, 400, 10, Decimal("0.04"), 0.0, None, [0] * 60, 0, 0.0,
         [0] * 60, 0, 0),
        ("globex", "search", 1, 1, 300, 10, Decimal("0.03"), 300.0, 300.0, hist(25), 0, 0.0,
         [0] * 60, 0, 0),
    ]  # fmt: skip


def test_only_closed_days_are_rolled(march: list[Record], store: psycopg.Connection) -> None:
    # at 00:05 on 11 March, 10 March has closed but writes begun before midnight may still
    # be committing: it waits for the next run
    result = retain(store, "2026-03-11T00:05+00:00")
    assert [d.isoformat() for d in result.plan.roll] == MARCH[:-1]
    assert daily(store, "2026-03-10") == []


def test_rolling_again_changes_nothing(march: list[Record], store: psycopg.Connection) -> None:
    retain(store, "2026-03-11T00:30+00:00")
    first = store.execute("SELECT * FROM llm_calls_daily ORDER BY 1, 2, 3").fetchall()
    again = retain(store, "2026-03-11T00:30+00:00")
    assert again.plan.roll == []
    with store.transaction():
        roll_day(store, at("2026-03-02").date())
    after = store.execute("SELECT * FROM llm_calls_daily ORDER BY 1, 2, 3").fetchall()
    assert [row[:-1] for row in after] == [row[:-1] for row in first]  # all but rolled_at


def totals(llmlog: Any, *args: str) -> list[tuple[Any, ...]]:
    result = llmlog("cost-by-feature", "--by", "total", "--since", "2026-03-01",
                    "--until", "2026-03-11", "-f", "json", *args)  # fmt: skip
    assert result.code == 0, result.err
    return [(r["feature"], r["calls"], r["cost_usd"]) for r in json.loads(result.out or "[]")]


def test_a_late_ingest_into_a_rolled_day_is_counted_at_once_and_rolled_again(
    march: list[Record], store: psycopg.Connection, llmlog: Any
) -> None:
    retain(store, "2026-03-11T00:30+00:00")
    late = day_calls("2026-03-04", 1)[0]
    late["id"] = new_id(at("2026-03-04", 23, 59))
    late["ts"] = ts_of(late["id"])
    BatchWriter(store).write([late])  # a spool ingested days later
    # until the next roll, reports read that day's rows, not its stale rollup
    assert totals(llmlog) == [("chat", 20, 0.6), ("search", 21, 0.41)]
    again = retain(store, "2026-03-12T00:30+00:00")
    assert [d.isoformat() for d in again.plan.roll] == ["2026-03-04", "2026-03-11"]
    assert sum(r[2] for r in daily(store, "2026-03-04")) == 5
    assert totals(llmlog) == [("chat", 20, 0.6), ("search", 21, 0.41)]


def test_later_feedback_on_a_rolled_day_is_rolled_again(
    march: list[Record], store: psycopg.Connection
) -> None:
    retain(store, "2026-03-11T00:30+00:00")
    assert set_feedback(store, march[4]["id"], "down")  # 2 March, acme search
    again = retain(store, "2026-03-11T00:30+00:00")
    assert [d.isoformat() for d in again.plan.roll] == ["2026-03-02"]
    row = next(r for r in daily(store, "2026-03-02") if r[:2] == ("acme", "search"))
    assert row[-2:] == (0, 1)


def test_filters_on_users_read_the_rows_of_rolled_days_while_they_exist(
    march: list[Record], store: psycopg.Connection, llmlog: Any
) -> None:
    retain(store, "2026-03-11T00:30+00:00")
    assert totals(llmlog, "--user", "u1") == [("chat", 10, 0.2)]
    assert totals(llmlog, "--status", "error") == [("search", 10, 0.3)]


def test_latency_is_exact_while_rows_exist(
    march: list[Record], store: psycopg.Connection, llmlog: Any
) -> None:
    retain(store, "2026-03-11T00:30+00:00")
    result = llmlog("latency", "--by", "feature", "--since", "2026-03-01",
                    "--until", "2026-03-11", "-f", "json")  # fmt: skip
    got = {r["feature"]: r for r in json.loads(result.out)}
    assert (got["search"]["p50_ms"], got["search"]["approximate"]) == (200.0, False)
    assert got["chat"]["calls"] == 10  # the calls without latency are not counted


def test_the_readme_pg_cron_statement_rolls_the_changed_days(
    march: list[Record], store: psycopg.Connection
) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    statement = readme.split("SELECT cron.schedule('llmlog-roll', '15 0 * * *', $$")[1]
    statement = statement.split("$$);")[0]
    store.execute(statement)  # the March days were written after they closed: all changed
    rolled = store.execute("SELECT count(DISTINCT day), sum(calls) FROM llm_calls_daily")
    assert rolled.fetchone() == (10, 40)
    assert retain(store, "2026-03-11T00:30+00:00").plan.roll == []
