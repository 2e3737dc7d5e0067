"""The dashboards' bundled queries give the numbers the base calls make (by hand)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import psycopg

from llmlog.reports.filters import Filters
from llmlog.reports.run import run
from llmlog.reports.window import parse_time
from llmlog.store.records import Record
from tests.reports.conftest import NOW
from tests.reports.test_aggregates import daily_row, roll_up

WEEK = Filters(since=parse_time("7d")).params()


def test_usage_by_day_counts_spend_refusals_and_thumbs_per_feature_and_day(
    calls: dict[str, Record], store: psycopg.Connection
) -> None:
    rows = run(store, "usage_by_day", {**WEEK, "by": "feature"})
    chat_today = [r for r in rows if r["feature"] == "chat" and r["day"] == NOW.date()]
    expected = [calls[k] for k in ("a", "b", "c") if calls[k]["ts"].date() == NOW.date()]
    assert sum(r["calls"] for r in chat_today) == len(expected)
    assert sum(r["feedback_down"] for r in rows) == 1  # call a
    assert sum(r["cost_usd"] for r in rows) == sum(
        (calls[k]["cost_usd"] for k in ("a", "b", "c", "d", "e", "old")), Decimal(0)
    )
    assert {r["tenant_id"] for r in rows} == {None}  # not asked for


def test_usage_by_day_reads_rolled_up_days_from_the_daily_table(
    calls: dict[str, Record], store: psycopg.Connection
) -> None:
    day = (NOW - timedelta(days=20)).date()
    roll_up(store, daily_row(day.isoformat(), feature="chat"))
    rows = run(store, "usage_by_day", {**Filters().params(), "by": "feature,tenant_id"})
    (rolled,) = [r for r in rows if r["day"] == day]
    assert (rolled["feature"], rolled["tenant_id"], rolled["calls"]) == ("chat", "acme", 1)


def test_latency_by_day_estimates_a_rolled_up_day_from_its_histograms(
    calls: dict[str, Record], store: psycopg.Connection
) -> None:
    day = (NOW - timedelta(days=20)).date()
    hist = [0] * 60
    hist[30] = 4
    roll_up(store, daily_row(day.isoformat(), feature="chat", calls=4, latency_hist=hist))
    rows = run(store, "latency_by_day", {**Filters(since=parse_time("30d")).params()})
    (rolled,) = [r for r in rows if r["day"] == day]
    assert (rolled["metric"], rolled["calls"], rolled["approximate"]) == ("total", 4, True)
    assert rolled["p50_ms"] <= rolled["p95_ms"] <= rolled["p99_ms"]


def test_latency_by_day_gives_exact_percentiles_per_metric(
    calls: dict[str, Record], store: psycopg.Connection
) -> None:
    rows = run(store, "latency_by_day", {**WEEK, "feature": "summarize"})
    total = [r for r in rows if r["metric"] == "total"]
    assert sum(r["calls"] for r in total) == 2  # d and e
    assert {r["approximate"] for r in rows} == {False}
    ttft = [r for r in rows if r["metric"] == "ttft" and r["p50_ms"] is not None]
    assert [r["p50_ms"] for r in ttft] == [100.0]  # only e has a ttft


def test_bottom_calls_put_thumbs_down_before_errors(
    calls: dict[str, Record], store: psycopg.Connection
) -> None:
    rows = run(store, "bottom_calls", WEEK)
    assert [r["id"] for r in rows] == [calls["a"]["id"], calls["d"]["id"]]


def test_sample_calls_draws_from_the_window_only(
    calls: dict[str, Record], store: psycopg.Connection
) -> None:
    since = NOW - timedelta(hours=4, minutes=30)
    rows = run(store, "sample_calls", Filters(since=since).params())
    assert {r["id"] for r in rows} <= {calls[k]["id"] for k in ("a", "b", "c", "d")}
