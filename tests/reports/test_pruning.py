"""Reports read through the inlined query functions (llmlog_calls, llmlog_usage, …) and
still prune partitions at plan time: the planner keeps only the window's partitions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from llmlog.reports import params, sqlfile
from llmlog.reports.run import execute
from llmlog.store.batch import BatchWriter
from llmlog.store.partitions import name_for
from tests.reports.conftest import call

DAYS = 40
ROLLED = range(12, 20)  # days ago rolled up into llm_calls_daily
# Every bundled query with a time window, and a filter or two beside the defaults.
REPORTS: list[tuple[str, dict[str, Any]]] = [
    ("tail", {}),
    ("tail", {"status": "error", "feature": "chat"}),
    ("sample_calls", {}),
    ("bottom_calls", {}),
    ("export_calls", {}),
    ("sample_evals", {}),
    ("top_users", {}),
    ("errors", {}),
    ("cost_by_feature", {}),
    ("cost_by_feature", {"user_id": "u1", "grep": "paris"}),
    ("cost_by_model", {}),
    ("usage_by_day", {"tenant_id": "acme"}),
    ("top_tenants", {}),
    ("drift", {}),
    ("latency", {"since": "30d"}),
    ("latency_by_day", {"since": "30d"}),
    ("check_usage", {"since": "30d", "key": "feature"}),
]


@pytest.fixture
def spread(store: psycopg.Connection) -> psycopg.Connection:
    """A call a day for 40 days (a partition each), some of those days rolled up."""
    now = datetime.now(UTC)
    chat = {"feature": "chat", "tenant_id": "acme", "user_id": "u1"}
    BatchWriter(store).write([call(now - timedelta(days=n, hours=1), **chat) for n in range(DAYS)])
    for n in ROLLED:
        store.execute("SELECT llmlog_roll_day(%s)", ((now - timedelta(days=n)).date(),))
    store.commit()
    return store


def planned_partitions(conn: psycopg.Connection, name: str, given: dict[str, Any]) -> set[str]:
    """The llm_calls partitions in the plan of report ``name``, run as the reports runner
    runs it (bound values, never prepared); fails if any was pruned only at run time."""
    query = sqlfile.bundled(name)
    values = params.bind(query, given)
    explain = replace(query, sql="EXPLAIN (FORMAT JSON) " + query.sql)
    plan = execute(conn, explain, values)[0]["QUERY PLAN"][0]["Plan"]
    scanned: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        assert not node.get("Subplans Removed"), f"{name}: partitions pruned at run time only"
        relation = node.get("Relation Name", "")
        if relation.startswith("llm_calls_p"):
            scanned.add(relation)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan)
    return scanned


def window_partitions(conn: psycopg.Connection, since: datetime) -> set[str]:
    """The partitions from since's day on (the window runs to infinity)."""
    names = {
        r[0]
        for r in conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'llm_calls'::regclass"
        )
    }
    return {n for n in names if n >= name_for(since.astimezone(UTC).date())}


@pytest.mark.parametrize(("name", "given"), REPORTS)
def test_reports_scan_only_the_windows_partitions_pruned_at_plan_time(
    spread: psycopg.Connection, name: str, given: dict[str, Any]
) -> None:
    since = params.bind(sqlfile.bundled(name), given)["since"]
    scanned = planned_partitions(spread, name, given)
    assert scanned, f"{name}: no partition scanned"
    assert scanned == window_partitions(spread, since)
    assert len(scanned) < DAYS  # the partitions before the window are left out
