"""Reports that aggregate calls: errors, spend, latency percentiles and drift.

Each reads hot rows and, for the days already rolled up, ``llm_calls_daily``, so totals
stay the same when retention runs (see the queries' headers for what is approximate).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmlog.errors import UsageError
from llmlog.reports.filters import Filters
from llmlog.reports.run import Row, drop_keys, run

if TYPE_CHECKING:
    import psycopg

PERIODS = ("day", "week", "month", "total")
LATENCY_KEYS = ("feature", "model", "provider", "prompt_version", "tenant_id")
DRIFT_KEYS = ("prompt_version", "model")


def errors(conn: psycopg.Connection, filters: Filters) -> list[Row]:
    """Errors grouped by (error_type, model, feature), most frequent first."""
    return run(conn, "errors", filters.params())


def error_calls(conn: psycopg.Connection, filters: Filters, limit: int = 50) -> list[Row]:
    """The individual failed calls, newest first (none when ``filters`` asks for another status)."""
    if filters.status not in (None, "error"):
        return []
    return run(conn, "tail", {**filters.params(), "status": "error", "limit": limit})


def cost_by_feature(conn: psycopg.Connection, filters: Filters, by: str = "day") -> list[Row]:
    """Spend per feature per day, week or month, or in total."""
    if by not in PERIODS:
        raise UsageError(f"cannot group by {by!r}", hint=f"use one of {', '.join(PERIODS)}")
    rows = run(conn, "cost_by_feature", {**filters.params(), "by": by})
    return drop_keys(rows, {by}, PERIODS[:3])


def cost_by_model(conn: psycopg.Connection, filters: Filters) -> list[Row]:
    """Spend per provider and model, with average and p95 cost per call and share."""
    return run(conn, "cost_by_model", filters.params())


def top_users(conn: psycopg.Connection, filters: Filters, limit: int = 20) -> list[Row]:
    return run(conn, "top_users", {**filters.params(), "limit": limit})


def top_tenants(conn: psycopg.Connection, filters: Filters, limit: int = 20) -> list[Row]:
    return run(conn, "top_tenants", {**filters.params(), "limit": limit})


def latency(
    conn: psycopg.Connection, filters: Filters, by: list[str], metric: str = "total"
) -> list[Row]:
    """Count and p50/p95/p99 latency (or TTFT) per group."""
    unknown = [key for key in by if key not in LATENCY_KEYS]
    if unknown or metric not in ("total", "ttft"):
        raise UsageError(
            f"cannot group latency by {', '.join(unknown)}" if unknown else f"no metric {metric!r}",
            hint=f"--by takes {', '.join(LATENCY_KEYS)}; --metric total or ttft",
        )
    rows = run(conn, "latency", {**filters.params(), "by": by, "metric": metric})
    return drop_keys(rows, set(by), LATENCY_KEYS)


def drift(conn: psycopg.Connection, filters: Filters, by: str = "prompt_version") -> list[Row]:
    """Per prompt version (or model): calls, output length, refusals, errors, cost, p95."""
    if by not in DRIFT_KEYS:
        raise UsageError(f"cannot compare by {by!r}", hint="use prompt_version or model")
    rows = run(conn, "drift", {**filters.params(), "by": by})
    return drop_keys(rows, {by}, DRIFT_KEYS)
