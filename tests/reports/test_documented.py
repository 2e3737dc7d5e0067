"""What the README promises about feedback, top-tenants, recost and the command list."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from llmlog.store.records import Record
from tests.reports.test_aggregates import daily_row, roll_up

README = Path(__file__).resolve().parents[2] / "README.md"


def feedback_of(store: psycopg.Connection, record: Record) -> tuple[Any, Any]:
    return store.execute(
        "SELECT feedback, feedback_note FROM llm_calls WHERE id = %s", (record["id"],)
    ).fetchone()


@pytest.mark.parametrize("length", [13, 16, 24, 36])
def test_feedback_takes_a_unique_id_prefix(
    calls: dict[str, Record], store: psycopg.Connection, llmlog: Any, length: int
) -> None:
    prefix = str(calls["b"]["id"])[:length]
    result = llmlog("feedback", prefix, "down", "--note", "wrong city")
    assert result.code == 0, result.err
    assert feedback_of(store, calls["b"]) == (-1, "wrong city")
    assert str(calls["b"]["id"]) in result.err


def test_feedback_on_an_ambiguous_unknown_or_malformed_prefix(
    calls: dict[str, Record], store: psycopg.Connection, llmlog: Any
) -> None:
    ambiguous = llmlog("feedback", "0", "up")
    assert ambiguous.code == 2 and "more than one call" in ambiguous.err
    unknown = llmlog("feedback", "ffff", "up")  # no call was made in year 9999
    assert unknown.code == 1 and "no stored call" in unknown.err
    malformed = llmlog("feedback", "not-hex", "up")
    assert malformed.code == 2 and "not a call id" in malformed.err
    assert all(feedback_of(store, r)[0] in (None, -1) for r in calls.values())


def test_top_tenants_has_the_documented_token_columns(
    calls: dict[str, Record], llmlog: Any
) -> None:
    rows = {r["tenant_id"]: r for r in json.loads(llmlog("top-tenants", "-f", "json").out)}
    acme = [calls[k] for k in ("a", "b", "old", "older")]
    globex = [calls[k] for k in ("c", "d", "e")]
    for tenant, records in (("acme", acme), ("globex", globex)):
        assert rows[tenant]["input_tokens"] == sum(r.get("input_tokens") or 0 for r in records)
        assert rows[tenant]["output_tokens"] == sum(r.get("output_tokens") or 0 for r in records)
        assert Decimal(str(rows[tenant]["cost_usd"])) == sum(r["cost_usd"] for r in records)


def test_top_tenants_tokens_include_rolled_up_days(
    calls: dict[str, Record], store: psycopg.Connection, llmlog: Any
) -> None:
    day = calls["older"]["ts"].date().isoformat()
    roll_up(store, daily_row(day, calls=3, input_tokens=7000, output_tokens=700))
    rows = {r["tenant_id"]: r for r in json.loads(llmlog("top-tenants", "-f", "json").out)}
    hot = [calls[k] for k in ("a", "b", "old")]
    assert rows["acme"]["input_tokens"] == 7000 + sum(r["input_tokens"] for r in hot)
    assert rows["acme"]["output_tokens"] == 700 + sum(r["output_tokens"] for r in hot)


@pytest.mark.parametrize("since", ["36000s", "600 min", "now", "-infinity", "2w"])
def test_recost_takes_every_time_form_the_reports_take(
    calls: dict[str, Record], llmlog: Any, since: str
) -> None:
    result = llmlog("recost", "--since", since, "--dry-run", "-f", "json")
    assert result.code == 0, result.err


def test_recost_since_bounds_the_calls_it_looks_at(calls: dict[str, Record], llmlog: Any) -> None:
    recent = llmlog("recost", "--since", "36000s", "--dry-run", "-f", "json")
    assert sum(r["calls"] for r in json.loads(recent.out)) == 4  # a, b, c, e (d failed)
    everything = llmlog("recost", "--since", "-infinity", "--dry-run", "-f", "json")
    assert sum(r["calls"] for r in json.loads(everything.out)) == 5  # and old


def test_every_command_in_help_is_in_the_readme() -> None:
    import typer

    from llmlog.cli.app import app

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    headings = r"(?:^###|\*\*)\s*`llmlog ([a-z][a-z-]*)"  # its own heading or bold entry
    documented = set(re.findall(headings, README.read_text(), re.MULTILINE))
    assert sorted(set(commands) - documented) == []


def test_the_readmes_query_over_llmlog_usage_counts_hot_calls_and_rolled_up_days(
    calls: dict[str, Record], store: psycopg.Connection, llmlog: Any, tmp_path: Path
) -> None:
    example = re.search(r"```sql\n(-- name: spend_by_feature\n.*?)```", README.read_text(), re.S)
    assert example, "README shows a query over llmlog_usage"
    path = tmp_path / "spend_by_feature.sql"
    path.write_text(example.group(1))
    day = calls["older"]["ts"].date().isoformat()
    roll_up(store, daily_row(day, calls=3, cost_usd=Decimal("0.5")))  # read, not "older"
    result = llmlog("query", str(path), "-p", "tenant_id=acme", "-f", "json")
    assert result.code == 0, result.err
    rows = {r["feature"]: r for r in json.loads(result.out)}
    chat = [calls[k] for k in ("a", "b", "old")]
    assert rows.keys() == {"chat", "f"}
    assert rows["chat"]["calls"] == 3
    assert Decimal(str(rows["chat"]["cost_usd"])) == sum(r["cost_usd"] for r in chat)
    assert (rows["f"]["calls"], Decimal(str(rows["f"]["cost_usd"]))) == (3, Decimal("0.5"))


@pytest.mark.parametrize("rolled", [False, True], ids=["nothing rolled up", "a day rolled up"])
def test_a_window_from_minus_infinity_is_answered_at_once(
    calls: dict[str, Record], store: psycopg.Connection, rolled: bool
) -> None:
    """With no rolled-up day, the series of rolled-up days began at -infinity and never
    ended: the statement timeout stopped every query over llmlog_usage('-infinity', …)."""
    day = calls["older"]["ts"].date()
    on_day = sum(1 for r in calls.values() if r["ts"].date() == day)
    if rolled:
        roll_up(store, daily_row(day.isoformat(), calls=3))
    store.execute("SET statement_timeout = 2000")
    (count,) = store.execute(
        "SELECT count(*) FROM llmlog_usage('-infinity', 'infinity')"
    ).fetchone()  # type: ignore[misc]
    assert count == (len(calls) - on_day + 1 if rolled else len(calls))
