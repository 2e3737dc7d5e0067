"""A tenant login sees its tenant's calls only, whatever it runs: each report equals the
owner's report filtered to that tenant, every bundled query returns its rows only, and
another tenant's call is not found by show, trace or replay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmlog.reports import sqlfile
from llmlog.store.records import Record
from tests.access.conftest import Run, tenant_login

REPORTS = [
    ("tail", "--since", "30d", "-n", "100"),
    ("errors", "--since", "30d"),
    ("errors", "--list", "--since", "30d"),
    ("cost-by-feature", "--since", "30d", "--by", "total"),
    ("cost-by-model", "--since", "30d"),
    ("top-users", "--since", "30d"),
    ("latency", "--since", "30d", "--by", "feature"),
    ("drift", "--since", "30d", "--by", "model"),
]


@pytest.mark.parametrize("report", REPORTS, ids=" ".join)
def test_each_report_as_a_tenant_login_is_the_owners_report_of_that_tenant(
    store_url: str, urls: dict[str, str], calls: dict[str, Record], run: Run,
    report: tuple[str, ...],
) -> None:  # fmt: skip
    acme = tenant_login(run, store_url, "acme")
    mine = run(acme, *report, "-f", "json")
    assert mine.code == 0, mine.err
    owners = run(store_url, *report, "--tenant", "acme", "-f", "json")
    everyone = run(store_url, *report, "-f", "json")
    assert json.loads(mine.out) == json.loads(owners.out)
    assert json.loads(everyone.out) != json.loads(owners.out)  # globex is in the store


def test_every_bundled_query_returns_only_the_logins_tenant(
    store_url: str, urls: dict[str, str], calls: dict[str, Record], run: Run
) -> None:
    """Each query with its defaults, and the ones that look calls up given another
    tenant's ids: only acme's rows come back."""
    acme = tenant_login(run, store_url, "acme")
    globex = [r for r in calls.values() if r.get("tenant_id") == "globex"]
    ids = ",".join(str(r["id"]) for r in globex)
    times = {"lo_ts": "2000-01-01", "hi_ts": "2100-01-01", "ts": str(globex[0]["ts"]),
             "two_weeks_ago": "2000-01-01", "week_ago": "2000-01-08"}  # fmt: skip
    their = {  # a required value per query parameter: globex's
        "id": str(globex[0]["id"]), "lo": str(globex[0]["id"]), "hi": str(globex[0]["id"]),
        "trace_id": str(globex[0]["trace_id"]), "ids": ids, "originals": ids,
        "judge_model": "gpt-4o-mini", **times,
    }  # fmt: skip
    theirs = {str(r["id"]) for r in globex}
    for query in sqlfile.available().values():
        given = [f"{p.name}={their[p.name]}" for p in query.params if p.required]
        result = run(acme, "query", query.name, *(f"-p{v}" for v in given), "-f", "json")
        assert result.code == 0, (query.name, result.err)
        for row in json.loads(result.out):
            assert row.get("tenant_id") in (None, "acme"), query.name
            assert str(row.get("id")) not in theirs, query.name
    owners = run(store_url, "query", "call", f"-pid={globex[0]['id']}", "-f", "json")
    assert [row["id"] for row in json.loads(owners.out)] == [str(globex[0]["id"])]


def test_a_tenant_logins_own_query_over_the_query_functions_sees_its_rows_only(
    store_url: str, urls: dict[str, str], calls: dict[str, Record], run: Run, tmp_path: Path
) -> None:
    """llmlog_calls and llmlog_usage are not SECURITY DEFINER: row-level security applies
    to the login that calls them."""
    acme = tenant_login(run, store_url, "acme")
    path = tmp_path / "tenants.sql"
    path.write_text(
        "-- name: tenants\n"
        "SELECT tenant_id, sum(calls)::bigint AS calls "
        "FROM llmlog_usage('2000-01-01', '2100-01-01') GROUP BY 1 UNION ALL "
        "SELECT tenant_id, count(*) FROM llmlog_calls('2000-01-01', '2100-01-01') GROUP BY 1 "
        "ORDER BY 1"
    )
    acmes = sum(r.get("tenant_id") == "acme" for r in calls.values())
    mine = run(acme, "query", str(path), "-f", "json")
    assert mine.code == 0, mine.err
    assert json.loads(mine.out) == [{"tenant_id": "acme", "calls": acmes}] * 2
    everyone = json.loads(run(store_url, "query", str(path), "-f", "json").out)
    assert {r["tenant_id"] for r in everyone} > {"acme"}


def test_another_tenants_call_is_not_found_by_show_trace_or_replay(
    store_url: str, urls: dict[str, str], calls: dict[str, Record], run: Run
) -> None:
    acme = tenant_login(run, store_url, "acme")
    globex = next(r for r in calls.values() if r.get("tenant_id") == "globex")
    for command in (
        ("show", str(globex["id"])),
        ("trace", str(globex["trace_id"])),
        ("replay", str(globex["id"]), "--dry-run"),
    ):
        result = run(acme, *command)
        assert result.code == 1, (command, result.err)
        assert str(globex["output_text"] or "") not in result.out
    assert run(store_url, "show", str(globex["id"]), "-f", "json").code == 0
