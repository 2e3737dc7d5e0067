"""`llmlog query` and `llmlog queries`: bundled, user directory and file queries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llmlog.store.records import Record

MINE = """-- name: numbers
-- description: The numbers 1..n.
-- param n: int = 2
SELECT k FROM generate_series(1, %(n)s) AS k
"""


@pytest.fixture
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "queries"
    directory.mkdir()
    (directory / "numbers.sql").write_text(MINE)
    monkeypatch.setenv("LLMLOG_QUERIES_DIR", str(directory))
    return directory


def test_query_runs_a_bundled_query_with_params(calls: dict[str, Record], llmlog: Any) -> None:
    result = llmlog("query", "latency", "--param", "by=feature", "-p", "since=24h", "-f", "json")
    got = json.loads(result.out)
    assert [(r["feature"], r["calls"], r["p50_ms"]) for r in got] == [
        ("summarize", 2, 700.0),
        ("chat", 3, 200.0),
    ]


def test_query_from_user_dir_and_path(user_dir: Path, llmlog: Any) -> None:
    assert json.loads(llmlog("query", "numbers", "-f", "json").out) == [{"k": 1}, {"k": 2}]
    by_path = llmlog("query", str(user_dir / "numbers.sql"), "--param", "n=3", "-f", "csv")
    assert by_path.out.splitlines() == ["k", "1", "2", "3"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("numbers", "--param", "n=lots"), 2, "not a valid int"),
        (("numbers", "--param", "colour=red"), 2, "no parameter 'colour'"),
        (("numbers", "--param", "n"), 2, "not key=value"),
        (("trace",), 2, "needs parameter trace_id"),
        (("nope",), 1, "no query named 'nope'"),
    ],
)
def test_query_errors(
    user_dir: Path, llmlog: Any, args: tuple[str, ...], code: int, message: str
) -> None:
    result = llmlog("query", *args)
    assert result.code == code and message in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_queries_lists_bundled_and_user_queries(user_dir: Path, llmlog: Any) -> None:
    listed = {q["name"]: q for q in json.loads(llmlog("queries", "-f", "json").out)}
    assert listed["numbers"]["params"] == "n=2"
    assert listed["numbers"]["path"] == str(user_dir / "numbers.sql")
    assert "trace_id (required)" in listed["trace"]["params"]
    assert {"tail", "errors", "cost_by_feature", "cost_by_model", "top_users", "top_tenants",
            "latency", "drift"} <= set(listed)  # fmt: skip


COMMANDS = (
    "tail", "show", "trace", "errors", "cost-by-feature", "cost-by-model", "top-users",
    "top-tenants", "latency", "drift", "query", "queries",
)  # fmt: skip


def test_every_report_command_has_help_with_an_example(llmlog: Any) -> None:
    for command in COMMANDS:
        result = llmlog(command, "--help")
        assert result.code == 0 and "Example: llmlog" in result.out, command
