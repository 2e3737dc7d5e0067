"""Every filter a report passes reaches its query: declared, bound strictly, and applied."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from llmlog.errors import UsageError
from llmlog.reports import aggregates, calls, sqlfile
from llmlog.reports.filters import Filters
from llmlog.reports.run import run, tune_session
from llmlog.resources import bundled
from llmlog.store.records import Record
from tests.reports.conftest import NOW
from tests.reports.test_aggregates import daily_row, roll_up

FILTERS = set(Filters().params()) | {"since", "until"}
REPORTS: dict[str, Callable[[psycopg.Connection, Filters], list[dict[str, Any]]]] = {
    "tail": calls.tail,
    "errors": aggregates.errors,
    "errors --list": aggregates.error_calls,
    "cost-by-feature": aggregates.cost_by_feature,
    "cost-by-model": aggregates.cost_by_model,
    "top-users": aggregates.top_users,
    "top-tenants": aggregates.top_tenants,
    "latency": lambda conn, f: aggregates.latency(conn, f, ["feature"]),
    "drift": aggregates.drift,
    # the UI's (llmlog ui): its dashboards and random sample
    "usage_by_day": lambda conn, f: run(conn, "usage_by_day", {**f.params(), "by": "feature"}),
    "latency_by_day": lambda conn, f: run(conn, "latency_by_day", f.params()),
    "bottom_calls": lambda conn, f: run(conn, "bottom_calls", f.params()),
    "sample_calls": lambda conn, f: run(conn, "sample_calls", f.params()),
}


# Windowed queries that take no report filters: trace is found by its id; judge's draw,
# check's rules and `scores` bind their own options (strictly all the same).
OWN_OPTIONS = {"trace", "judge_sample", "check_usage", "scores", "scores_worst"}


@pytest.mark.parametrize("path", sorted(bundled("queries").glob("*.sql")), ids=lambda p: p.stem)
def test_every_bundled_query_over_a_window_declares_every_filter(path: Any) -> None:
    query = sqlfile.read(path)
    windowed = "since" in query.param_names and query.name not in OWN_OPTIONS
    if windowed:
        assert sorted(FILTERS - query.param_names) == [], query.name


def test_reports_bind_their_query_strictly(store: psycopg.Connection) -> None:
    with pytest.raises(UsageError, match="no parameter 'colour'"):
        run(store, "tail", {**Filters().params(), "colour": "red"})


@pytest.fixture
def reports_store(calls: dict[str, Record], store: psycopg.Connection) -> psycopg.Connection:
    """The base calls and a rolled-up day (20 days ago), in a report session."""
    roll_up(store, daily_row((NOW - timedelta(days=20)).date().isoformat(), feature="chat"))
    tune_session(store)
    return store


NOTHING = {
    "feature": "nope",
    "model": "nope",
    "provider": "nope",
    "tenant_id": "nope",
    "user_id": "nope",
    "trace_id": "nope",
    "prompt_version": "nope",
    "status": "nope",
    "grep": "zzyzxq",
}


@pytest.mark.parametrize("report", REPORTS)
@pytest.mark.parametrize("name", NOTHING)
def test_every_filter_of_every_report_is_applied(
    reports_store: psycopg.Connection, report: str, name: str
) -> None:
    window = Filters(since=NOW - timedelta(days=30))
    assert REPORTS[report](reports_store, window)  # so that [] below means "filtered out"
    assert REPORTS[report](reports_store, replace(window, **{name: NOTHING[name]})) == []


def test_nothing_lists_every_filter() -> None:
    assert set(NOTHING) == {f.name for f in fields(Filters)} - {"since", "until"}
