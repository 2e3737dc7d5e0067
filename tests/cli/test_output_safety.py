"""Stored text is shown literally: no Rich markup read, control characters escaped in
tables, exact in json, jsonl and csv — through every command that prints it."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from llmlog.ids import new_id
from llmlog.store.batch import BatchWriter
from llmlog.store.records import Record
from tests.reports.conftest import NOW, call

# What a terminal acts on, and how a table view shows it instead.
ESCAPED = {
    "\x1b": "\\x1b", "\x07": "\\x07", "\r": "\\x0d", "\x08": "\\x08", "\x9b": "\\x9b",
    "\u202e": "\\u202e", "\u2066": "\\u2066",
}  # fmt: skip
RAW = list(ESCAPED)


def printable(text: str) -> str:
    for raw, shown in ESCAPED.items():
        text = text.replace(raw, shown)
    return text


FEATURE = "[red]inj[/red]\x1b[2J"
MODEL = "gpt[/INST]\x07"
TENANT = "[/]acme\r"
USER = "u\u202eevil"
VERSION = "[bold]v1\x9b"
SYSTEM = "You are [bold]nice[/bold]\x1b[31m and \u2066isolated"
OUTPUT = "Sure [/INST] here \x1b]8;;http://evil.example\x07click\x1b]8;;\x07 ab\x08c a\\u0000b"
ERROR_TYPE = "[/x]\x1b[5m"
ERROR_MESSAGE = "boom [/] \x1b[2J over\rwrite"
TOOL = "[/tool]\x07"


@pytest.fixture
def hostile(store: psycopg.Connection) -> dict[str, Record]:
    """A call and its failed child whose every text field is hostile."""
    at = NOW - timedelta(hours=1)
    parent_id = new_id(at)
    fields: dict[str, Any] = {
        "feature": FEATURE, "model": MODEL, "tenant_id": TENANT, "user_id": USER,
        "prompt_version": VERSION, "latency_ms": 100.0, "input_tokens": 10,
        "output_tokens": 5,
    }  # fmt: skip
    ok = call(
        at, id=parent_id, **fields, system_prompt=SYSTEM, question="[/user] hi\x1b[2J",
        output_text=OUTPUT, finish_reason="tool_calls",
        tool_calls=[{"id": "t1", "name": TOOL, "arguments": '{"q": "[/x]\\u001b"}'}],
    )  # fmt: skip
    failed = call(
        at + timedelta(milliseconds=5), **fields, trace_id=str(parent_id),
        parent_id=parent_id, status="error", finish_reason="error", http_status=500,
        error_type=ERROR_TYPE, error_message=ERROR_MESSAGE,
    )  # fmt: skip
    BatchWriter(store).write([ok, failed])
    return {"ok": ok, "failed": failed}


def table(llmlog: Any, *args: str) -> str:
    result = llmlog(*args, "--format", "table")
    assert result.code == 0, (args, result.err)
    assert "Traceback" not in result.err
    for char in RAW:
        assert char not in result.out, (args, char, result.out)
    return result.out


def test_tables_show_stored_text_literally_and_escaped(
    hostile: dict[str, Record], llmlog: Any, columns: Any
) -> None:
    columns(250)
    ok, failed = (str(hostile[k]["id"]) for k in ("ok", "failed"))
    shown = {
        ("tail", "--since", "24h"): ["[red]inj[/red]", MODEL, TENANT, "Sure [/INST] here \x1b]8",
                                     ERROR_TYPE],
        ("show", ok): [FEATURE, MODEL, TENANT, USER, VERSION, SYSTEM, "[/user] hi\x1b[2J",
                       "click", TOOL, '"[/x]\\u001b"'],
        ("show", failed): [ERROR_TYPE, "boom [/] \x1b[2J"],
        ("trace", ok): [FEATURE, MODEL, ERROR_TYPE],
        ("errors", "--since", "24h"): [ERROR_TYPE, MODEL, FEATURE],
        ("errors", "--list", "--since", "24h"): [ERROR_TYPE, "boom [/] \x1b[2J over"],
        ("cost-by-feature", "--since", "24h"): [FEATURE],
        ("cost-by-model", "--since", "24h"): [MODEL],
        ("top-users", "--since", "24h"): [USER],
        ("top-tenants", "--since", "24h"): [TENANT],
        ("latency", "--since", "24h", "--by", "feature,model,tenant_id"): [FEATURE, TENANT],
        ("drift", "--since", "24h", "--by", "prompt_version"): [VERSION],
        ("drift", "--since", "24h", "--by", "model"): [MODEL],
    }  # fmt: skip
    for args, texts in shown.items():
        out = table(llmlog, *args)
        for text in texts:
            assert printable(text) in out, (args, printable(text), out)
    assert "\\x1b]8;;http://evil.example\\x07click" in table(llmlog, "show", ok)


def test_data_formats_keep_stored_text_exact(hostile: dict[str, Record], llmlog: Any) -> None:
    rows = json.loads(llmlog("tail", "--since", "24h", "--format", "json").out)
    assert {(r["feature"], r["model"], r["tenant_id"]) for r in rows} == {(FEATURE, MODEL, TENANT)}
    assert OUTPUT in [r["output_text"] for r in rows]
    lines = llmlog("tail", "--since", "24h", "--format", "jsonl").out.splitlines()
    assert ERROR_MESSAGE in [json.loads(line)["error_message"] for line in lines]
    parsed = list(csv.DictReader(io.StringIO(llmlog("tail", "--format", "csv").out, newline="")))
    assert OUTPUT in [r["output_text"] for r in parsed]
    assert {r["user_id"] for r in parsed} == {USER}
    shown = json.loads(llmlog("show", str(hostile["ok"]["id"]), "--format", "json").out)
    assert shown["system_prompt"] == SYSTEM and shown["tool_calls"][0]["name"] == TOOL


def test_a_user_query_with_markup_in_its_column_names(
    hostile: dict[str, Record], llmlog: Any, tmp_path: Path, columns: Any
) -> None:
    columns(250)
    query = tmp_path / "odd.sql"
    query.write_text(
        '-- name: odd\n-- description: Columns named like markup.\n'
        'SELECT feature AS "[/x]", error_message AS "[bold]msg\x1b[0m" FROM llm_calls\n'
        "WHERE status = 'error'\n"
    )  # fmt: skip
    out = table(llmlog, "query", str(query))
    assert "[/x]" in out and "[bold]msg\\x1b[0m" in out
    assert printable(FEATURE) in out and printable(ERROR_MESSAGE) in out
    exact = llmlog("query", str(query), "--format", "csv").out
    assert list(csv.DictReader(io.StringIO(exact, newline=""))) == [
        {"[/x]": FEATURE, "[bold]msg\x1b[0m": ERROR_MESSAGE}
    ]


def test_followed_tail_prints_literally(
    hostile: dict[str, Record], columns: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from llmlog.cli import call_views
    from llmlog.cli.output import Format
    from llmlog.cli.report_cmds import CALL_COLUMNS, _with_outcome

    columns(250)
    rows = [{"error_type": None, **hostile[key]} for key in ("ok", "failed")]
    call_views.follow([rows], Format.table, _with_outcome, CALL_COLUMNS)
    out = capsys.readouterr().out
    assert printable(FEATURE) in out and printable(ERROR_TYPE) in out
    assert not [char for char in RAW if char in out]


def test_messages_print_paths_literally(llmlog: Any, tmp_path: Path) -> None:
    folder = tmp_path / "a[" / "x]"
    folder.mkdir(parents=True)
    path = folder / "f.jsonl"
    path.write_text("not json\n")
    result = llmlog("ingest", str(path))
    assert "Traceback" not in result.err
    assert f"{path}:1:" in result.err


def test_megabyte_texts_keep_tables_small(
    store: psycopg.Connection, llmlog: Any, columns: Any
) -> None:
    big = "[/INST] " + "x" * (1 << 20) + "\x1b[2J"
    at = NOW - timedelta(hours=1)
    records = [
        call(at, output_text=big, feature="f" * 5000),
        call(at, status="error", finish_reason="error", error_type="e", error_message=big),
    ]
    BatchWriter(store, max_payload_bytes=16 << 20).write(records)
    columns(250)
    for args in (("tail", "--since", "24h"), ("errors", "--list")):
        out = table(llmlog, *args)
        assert "[/INST]" in out and len(out) < 20_000, (args, len(out))
    assert len(table(llmlog, "trace", str(records[0]["id"]))) < 20_000


def test_a_table_too_wide_cuts_its_widest_columns_first(llmlog: Any, columns: Any) -> None:
    columns(80)
    out = table(llmlog, "queries")
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "cost_by_feature" in out and "One call, every column" in out


def test_printable_escapes_controls_and_reordering_marks_only() -> None:
    from llmlog.cli.output import printable

    hostile = "a\x00b\x7f\x85\x9b\u2028\u2029\u200f\u061c\u2067c\t\n"
    assert printable(hostile) == ("a\\x00b\\x7f\\x85\\x9b\\u2028\\u2029\\u200f\\u061c\\u2067c\t\n")
    kept = "Zürich 日本語 👍🏽 👨\u200d👩\u200d👧 «quotes» \\x1b"  # ZWJ joins emoji
    assert printable(kept) == kept
