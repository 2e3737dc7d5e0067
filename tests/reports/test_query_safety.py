"""`llmlog query` and the reports are read-only and time-bounded; bad values are usage errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from llmlog.store.records import Record


def one_line(result: Any, code: int, *fragments: str) -> None:
    assert result.code == code, (result.code, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("llmlog: "), result.err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def sql_file(tmp_path: Path, body: str, name: str = "mine") -> str:
    path = tmp_path / f"{name}.sql"
    path.write_text(f"-- name: {name}\n{body}\n")
    return str(path)


def count(store: psycopg.Connection) -> int:
    return store.execute("SELECT count(*) FROM llm_calls").fetchone()[0]


WRITERS = {
    "delete returning": "DELETE FROM llm_calls RETURNING id",
    "delete in a CTE": "WITH d AS (DELETE FROM llm_calls RETURNING id) SELECT count(*) FROM d",
    "update": "UPDATE llm_calls SET feedback = 1",
    "ddl": "CREATE TABLE scratch (x int)",
}
ESCAPES = {  # a second statement could leave the read-only transaction: one statement a file
    "commit first": "COMMIT; DELETE FROM llm_calls",
    "read-only off first": "SET default_transaction_read_only = off; DELETE FROM llm_calls",
    "read write first": "SET TRANSACTION READ WRITE; DELETE FROM llm_calls",
    "with a parameter": "-- param n: int = 1\nSELECT %(n)s; COMMIT; DELETE FROM llm_calls",
    "a parameter declared, not used": (
        "-- param n: int = 1\n"
        "COMMIT; SET default_transaction_read_only = off; COMMIT; DELETE FROM llm_calls"
    ),
    "a parameter named only in a literal %%": (
        "-- param n: int = 1\nSELECT '%%(n)s'; COMMIT; SET default_transaction_read_only = off; "
        "COMMIT; DELETE FROM llm_calls"
    ),
}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [*((body, "--write") for body in WRITERS.values()),
     *((body, "one statement") for body in ESCAPES.values())],
    ids=[*WRITERS, *ESCAPES],
)  # fmt: skip
def test_a_query_file_that_writes_is_refused_and_changes_nothing(
    calls: dict[str, Record],
    store: psycopg.Connection,
    llmlog: Any,
    tmp_path: Path,
    body: str,
    fragment: str,
) -> None:
    before = count(store)
    result = llmlog("query", sql_file(tmp_path, body))
    one_line(result, 2, fragment)
    assert result.out == ""
    assert count(store) == before
    assert store.execute("SELECT count(*) FROM llm_calls WHERE feedback = 1").fetchone()[0] == 0
    assert store.execute("SELECT to_regclass('scratch')").fetchone()[0] is None


@pytest.mark.parametrize(
    "body",
    [
        "SELECT %s AS x",
        "-- param n: int = 1\nSELECT %s, %(n)s",
        "SELECT %(n)s AS x",
        "SELECT repeat('x', 2000000000) AS x",  # past a limit of the server's: class 54
        "SELECT chr(0) AS x",
    ],
)
def test_a_query_its_values_cannot_run_is_a_usage_error(
    calls: dict[str, Record], llmlog: Any, tmp_path: Path, body: str
) -> None:
    one_line(llmlog("query", sql_file(tmp_path, body)), 2, "query mine: ")


def test_write_flag_runs_a_statement_that_changes_data(
    calls: dict[str, Record], store: psycopg.Connection, llmlog: Any, tmp_path: Path
) -> None:
    path = sql_file(tmp_path, "DELETE FROM llm_calls WHERE feature = 'summarize' RETURNING id")
    result = llmlog("query", path, "--write", "-f", "json")
    assert result.code == 0, result.err
    assert sorted(row["id"] for row in json.loads(result.out)) == sorted(
        str(calls[k]["id"]) for k in ("d", "e")
    )
    assert count(store) == len(calls) - 2


def test_reports_run_read_only_with_a_statement_timeout(
    store: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmlog.reports.run import tune_session

    monkeypatch.setenv("LLMLOG_STATEMENT_TIMEOUT", "2.5")
    tune_session(store)
    assert store.execute("SHOW transaction_read_only").fetchone()[0] == "on"
    assert store.execute("SHOW statement_timeout").fetchone()[0] == "2500ms"
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        store.execute("DELETE FROM llm_calls")


def test_default_statement_timeout_is_a_few_seconds(store: psycopg.Connection) -> None:
    from llmlog.reports.run import tune_session

    tune_session(store)
    assert store.execute("SHOW statement_timeout").fetchone()[0] == "5s"


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_query_past_the_statement_timeout_stops_with_one_line(
    llmlog: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    path = sql_file(tmp_path, "SELECT pg_sleep(5) AS slept")
    if how == "option":
        result = llmlog("query", path, "--timeout", "0.3")
    else:
        monkeypatch.setenv("LLMLOG_STATEMENT_TIMEOUT", "0.3")
        result = llmlog("query", path)
    one_line(result, 3, "statement timeout", "300ms")


@pytest.mark.parametrize("value", ["soon", "-1", "nan"])
def test_a_bad_statement_timeout_is_a_config_error(
    llmlog: Any, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("LLMLOG_STATEMENT_TIMEOUT", value)
    one_line(llmlog("tail"), 2, "LLMLOG_STATEMENT_TIMEOUT")


def test_a_statement_timeout_of_zero_means_none(
    llmlog: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMLOG_STATEMENT_TIMEOUT", "0")
    result = llmlog("query", sql_file(tmp_path, "SELECT current_setting('statement_timeout') AS t"))
    assert result.code == 0 and json.loads(result.out) == {"t": "0"}


def test_a_query_file_that_is_not_utf8_is_a_usage_error(llmlog: Any, tmp_path: Path) -> None:
    path = tmp_path / "latin1.sql"
    path.write_bytes(b"-- name: latin1\n-- description: caf\xe9\nSELECT 1 AS one\n")
    one_line(llmlog("query", str(path)), 2, "latin1.sql", "UTF-8")


def test_a_query_file_that_is_not_sql_is_a_usage_error(llmlog: Any, tmp_path: Path) -> None:
    one_line(llmlog("query", sql_file(tmp_path, "SELEC nothing")), 2, "syntax error")


def test_a_literal_percent_in_a_query_without_params(llmlog: Any, tmp_path: Path) -> None:
    result = llmlog("query", sql_file(tmp_path, "SELECT 7 %% 4 AS r"))
    assert result.code == 0 and json.loads(result.out) == {"r": 3}


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("tail", "-n", "9223372036854775808"), "out of range"),
        (("top-users", "-n", "99999999999999999999"), "out of range"),
        (("query", "tail", "--param", "limit=-1"), "LIMIT must not be negative"),
        (("query", "tail", "--param", "limit=9223372036854775808"), "out of range"),
    ],
)
def test_out_of_range_numbers_are_usage_errors(
    calls: dict[str, Record], llmlog: Any, args: tuple[str, ...], fragment: str
) -> None:
    one_line(llmlog(*args), 2, fragment)


@pytest.mark.parametrize(
    "args",
    [
        ("tail", "--since", "1000000w"),
        ("tail", "--until", "0001-01-01"),
        ("errors", "--until", "0001-01-01"),
        ("cost-by-feature", "--since", "99999999999d"),
        ("latency", "--until", "0001-01-01T12:00"),
        ("query", "tail", "--param", "since=1000000w"),
        ("recost", "--since", "99999999999d"),
        ("tail", "--since", "9" * 5000 + "d"),
    ],
)
def test_times_out_of_range_are_usage_errors(llmlog: Any, args: tuple[str, ...]) -> None:
    one_line(llmlog(*args), 2, "out of range")


@pytest.mark.parametrize(
    "ref",
    [
        "ffffffff-ffff-7fff-bfff-ffffffffffff",  # a UUIDv7 of year 10889
        "00000000-0000-7000-8000-000000000000",  # of 1970
        "e677cf8c-ae00-7000-8000-000000000000",  # of noon on the last day of year 9999
    ],
)
def test_a_trace_id_at_the_ends_of_time_is_not_found(llmlog: Any, ref: str) -> None:
    one_line(llmlog("trace", ref), 1, "no trace or call")
