"""Free text as a hostile user would type it (SQL fragments, quotes, NUL, huge values,
markup, escape sequences, invalid UTF-8) into every option that takes it, and into
``ingest``: every run ends with a documented exit code and, on failure, one ``llmlog: ``
line on stderr — never a traceback — and the stored calls are as they were (but for
ingest's good lines)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from llmlog.cli.output import printable
from llmlog.store.records import Record, escape_text, to_json
from tests.reports.conftest import NOW, call, calls, llmlog

__all__ = ["calls", "llmlog"]

HOSTILE = [
    "",
    " ",
    "'",
    '"',
    "\\",
    "%",
    "%%",
    "%s",
    "%(x)s",
    "{}",
    "{0}",
    "$1",
    "'; DROP TABLE llm_calls; --",
    "' OR '1'='1",
    '") OR 1=1 --',
    "*/ SELECT pg_sleep(10); /*",
    "a\x00b",
    "\x00",
    "[bold red]x[/]",
    "[/]",
    "<script>alert(1)</script>",
    "\x1b[31mred\x1b[0m\x07",
    "\r\n\t\x08",
    "\u202eevil\u2066",
    "\udcff\udcfe",  # what invalid UTF-8 in argv becomes (surrogateescape)
    "x" * 100_000,
    "9" * 400,
    "-1",
    "-",
    "--",
    "--help",
    "0",
    "now",
    "infinity",
    "-infinity",
    "1e309",
    "NaN",
    "2026-02-30",
    "99999-01-01",
    "0000-00-00T25:61",
    "100000000000000000d",
    "15mm",
    "1970-01-01T00:00:00+99:00",
    "0190c2c4-1e2f-7",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "00000000-0000-0000-0000-000000000000",
    "01",
    "@",
    "key=value",
    "=",
    "a=b=c",
    "line1\nline2",
    "*",
    "?",
    "(a|b",
    "a & b | !c",
    "<->",
    ":*",
]
FIELD_TEXT = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.text(st.characters(exclude_categories=()), max_size=20),  # surrogates too
    st.lists(st.sampled_from(HOSTILE), min_size=2, max_size=3).map("".join),
)
# An argument cannot hold a NUL (execve ends it there); one that is not UTF-8 reaches
# Python as surrogate escapes, which the HOSTILE list and FIELD_TEXT's surrogates bring.
TEXT = FIELD_TEXT.map(lambda text: text.replace("\x00", ""))
FILTERS = ["feature", "tenant", "user", "model", "provider", "trace", "prompt-version", "grep"]
REPORTS = ["tail", "errors", "cost-by-feature", "cost-by-model", "top-users", "latency", "drift"]
QUERIES = ["call", "call_match", "cost_by_feature", "errors", "latency", "replays", "sample_evals"]
FORMATS = st.one_of(st.sampled_from(["table", "json", "jsonl", "csv"]), TEXT)
FAILURE_CODES = {1, 2}  # not found, usage: bad input never blames the store (3)
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def snapshot(conn: psycopg.Connection) -> tuple[int, str]:
    """How many calls, and a checksum of all of them (every column)."""
    row = conn.execute(
        "SELECT count(*), md5(coalesce(string_agg(c::text, '|' ORDER BY id), '')) FROM llm_calls c"
    ).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


@pytest.fixture
def before(store: psycopg.Connection, calls: dict[str, Record]) -> Iterator[tuple[int, str]]:
    taken = snapshot(store)
    yield taken
    assert snapshot(store) == taken


def assert_clean(result: Any, args: tuple[str, ...]) -> None:
    assert "Traceback" not in result.err, (args, result.err)
    if result.code == 0:
        return
    assert result.code in FAILURE_CODES, (args, result.code, result.err)
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("llmlog: "), (args, result.err)


@PROPERTY
@given(
    report=st.sampled_from([*REPORTS, "sample-evals", "replay --dry-run"]),
    filters=st.dictionaries(st.sampled_from(FILTERS), TEXT, min_size=1, max_size=3),
)
def test_report_filters(before: Any, llmlog: Any, report: str, filters: dict[str, str]) -> None:
    args = (*report.split(), *(f"--{k}={v}" for k, v in filters.items()))
    assert_clean(llmlog(*args), args)


@PROPERTY
@given(
    command=st.sampled_from(
        [
            "forget --dry-run --user",
            "forget --dry-run --tenant",
            "recost --dry-run --model",
            "recost --dry-run --since",
            "sample-evals --refusal-phrase",
            "sample-evals --why",
            "access revoke --",  # the value as the ROLE argument
            "access audit-log --role",
            "access audit-log --since",
            "access grant-tenant acme --role",  # a valid name: 3, no roles set up here
        ]
    ),
    value=TEXT,
)
def test_other_free_text_options(before: Any, llmlog: Any, command: str, value: str) -> None:
    *words, option = command.split()
    args = (*words, option, value) if option == "--" else (*words, f"{option}={value}")
    result = llmlog(*args)
    if "grant-tenant" in words and result.code == 3:  # the name passed: the store's answer
        assert result.err.startswith("llmlog: the store has no llmlog roles yet"), result.err
        return
    assert_clean(result, args)


@PROPERTY
@given(
    report=st.sampled_from(REPORTS),
    since=st.one_of(st.none(), TEXT),
    until=st.one_of(st.none(), TEXT),
    fmt=st.one_of(st.none(), FORMATS),
)
def test_report_times_and_formats(
    before: Any, llmlog: Any, report: str, since: str | None, until: str | None, fmt: str | None
) -> None:
    args = (report,)
    for name, value in (("since", since), ("until", until), ("format", fmt)):
        if value is not None:
            args += (f"--{name}={value}",)
    assert_clean(llmlog(*args), args)


@PROPERTY
@given(
    command=st.sampled_from(["show", "trace", "replay", "feedback"]),
    ident=TEXT,
    extra=st.one_of(st.none(), TEXT),
)
def test_ids_and_prefixes(
    before: Any, llmlog: Any, command: str, ident: str, extra: str | None
) -> None:
    if command == "feedback":  # a value is wanted, and the note is free text too
        args: tuple[str, ...] = (command, "--note", extra or "", "--", ident, "up")
    elif command == "replay":
        assume(ident != "-")  # (ids from stdin: tests/replay cover those)
        args = (command, "--dry-run", "--", ident)
    else:
        args = (command, *([f"--format={extra}"] if extra is not None else []), "--", ident)
    result = llmlog(*args)
    if command == "feedback" and result.code == 0:
        pytest.skip("the text was a stored call's id prefix")  # (then it rightly changed it)
    assert_clean(result, args)


@PROPERTY
@given(
    name=st.one_of(st.sampled_from(QUERIES), TEXT),
    params=st.lists(st.tuples(st.sampled_from(["id", "lo", "since", "by", "limit", "x"]), TEXT)),
    raw=st.lists(TEXT, max_size=2),
)
def test_query_params(
    before: Any, llmlog: Any, name: str, params: list[tuple[str, str]], raw: list[str]
) -> None:
    args = ("query", *(f"--param={k}={v}" for k, v in params), *(f"--param={v}" for v in raw))
    args += ("--", name)
    assert_clean(llmlog(*args), args)


@PROPERTY
@given(path=TEXT, why=st.one_of(st.none(), TEXT))
def test_file_paths(before: Any, llmlog: Any, tmp_path: Path, path: str, why: str | None) -> None:
    folder = tmp_path / "paths"
    folder.mkdir(exist_ok=True)
    target = str(folder / path.replace("/", "_")[:200]) if path else str(folder)
    for args in (
        ("query", "--", target),
        ("sample-evals", *([f"--why={why}"] if why is not None else []), "-o", target),
        ("sample-evals", "--feature=none-such", "-o", "/nonexistent/dir/x.jsonl"),
    ):
        assert_clean(llmlog(*args), args)


SQL_BODY = st.one_of(
    FIELD_TEXT,
    st.sampled_from(
        [
            "SELECT 1 +",
            "SELECT 1; SELECT 2",
            "DELETE FROM llm_calls",
            "UPDATE llm_calls SET feature = 'x'",
            "DROP TABLE llm_calls",
            "SELECT pg_terminate_backend(pg_backend_pid())",
            "SELECT 1/0",
            "SELECT %(p)s::int",
            "SELECT %(p)s, %(nope)s",
            "SELECT '%'",
            "SELECT * FROM nope",
            "SELECT repeat('x', 100000000)",
            "COPY llm_calls TO PROGRAM 'true'",
            "SET ROLE postgres; DELETE FROM llm_calls",
            "SELECT set_config('default_transaction_read_only', 'off', false)",
            "SELECT 'a' \\gexec",
            "BEGIN; DELETE FROM llm_calls; COMMIT",
            "ROLLBACK; DELETE FROM llm_calls",
        ]
    ),
)


@PROPERTY
@given(
    kind=st.one_of(st.sampled_from(["text", "int", "timestamptz", "uuid", "text[]"]), TEXT),
    default=st.one_of(st.none(), TEXT),
    body=SQL_BODY,
    value=st.one_of(st.none(), TEXT),
)
def test_query_files(
    before: Any,
    llmlog: Any,
    tmp_path: Path,
    kind: str,
    default: str | None,
    body: str,
    value: str | None,
) -> None:
    """A query file of the user's own, hostile in its header and its body."""
    source = tmp_path / "q.sql"
    header = f"-- param p: {kind}" + (f" = {default}" if default is not None else "")
    source.write_text(f"-- name: q\n{header}\n{body}\n", "utf-8", "surrogatepass")
    args = ("query", *([f"--param=p={value}"] if value is not None else []), str(source))
    assert_clean(llmlog(*args), args)


LINE_PIECES = st.one_of(
    st.binary(max_size=60),
    st.sampled_from([h.encode("utf-8", "surrogatepass") for h in HOSTILE]),
    st.sampled_from([b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"{", b"[]", b"null", b"{}"]),
)


@st.composite
def good_record(draw: st.DrawFn) -> bytes:
    """A valid record whose free-text fields are hostile."""
    record = call(
        NOW,
        feature=draw(FIELD_TEXT),
        tenant_id=draw(FIELD_TEXT),
        user_id=draw(FIELD_TEXT),
        output_text=draw(FIELD_TEXT),
        question=draw(FIELD_TEXT),
    )
    return to_json(record).encode("utf-8", "surrogatepass")


@st.composite
def bad_record(draw: st.DrawFn) -> bytes:
    """A record with one field hostile: of the wrong type, huge or unknown."""
    data = json.loads(to_json(call(NOW)))
    key = draw(st.sampled_from([*data, "nope", "'; DROP TABLE llm_calls; --"]))
    data[key] = draw(
        st.one_of(
            FIELD_TEXT,
            st.integers(min_value=-(10**30), max_value=10**30),
            st.floats(),
            st.none(),
            st.lists(st.integers(), max_size=3),
        )
    )
    return json.dumps(data).encode()


@PROPERTY
@given(record=good_record(), fmt=st.sampled_from(["table", "json", "csv"]))
def test_stored_hostile_text_is_printed_literally(
    store: psycopg.Connection, llmlog: Any, tmp_path: Path, record: bytes, fmt: str
) -> None:
    """Stored text is untrusted: a table shows no character a terminal would act on (no
    escape sequence, no bidi override, and markup is not read: ``[/]`` would raise); JSON
    gives it back as stored."""
    call_id = json.loads(record)["id"]
    source = tmp_path / "one.jsonl"
    source.write_bytes(record + b"\n")
    try:
        stored = llmlog("ingest", str(source)).code == 0
    finally:
        source.unlink()
        Path(f"{source}.rejects").unlink(missing_ok=True)
    assume(stored)  # (a NUL or a lone surrogate is rightly refused by the store)
    for args in (("show", call_id, "-f", fmt), ("tail", "-f", fmt)):
        result = llmlog(*args)
        assert result.code == 0, result.err
        if fmt == "table":
            assert all(printable(line) == line for line in result.out.split("\n")), args
    shown = json.loads(llmlog("show", call_id, "-f", "json").out)
    feature = json.loads(record)["feature"]
    assert shown["feature"] in (feature, escape_text(feature))  # (NUL is kept as \\u0000)
    store.execute("DELETE FROM llm_calls WHERE id = %s", (call_id,))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lines=st.lists(
        st.one_of(good_record(), bad_record(), LINE_PIECES.map(lambda b: b.replace(b"\n", b""))),
        max_size=8,
    )
)
def test_ingest_stores_the_good_lines_only(
    store: psycopg.Connection,
    calls: dict[str, Record],
    llmlog: Any,
    tmp_path: Path,
    lines: list[bytes],
) -> None:
    count, checksum = snapshot(store)
    old = store.execute("SELECT id FROM llm_calls").fetchall()
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(lines))
    result = llmlog("ingest", str(source))

    assert "Traceback" not in result.err, result.err
    assert result.code in {0, 2}, result.err
    err = result.err.splitlines()
    rejected = [line for line in err if line.startswith(f"{source}:")]
    stored = int(next(line for line in err if " stored, " in line).split()[0])
    if result.code == 2:
        assert err[-1].startswith("llmlog: ") and len(err) == len(rejected) + 2, result.err
        kept = (tmp_path / "in.jsonl.rejects").read_bytes().split(b"\n")[:-1]
        assert len(kept) == len(rejected) and set(kept) <= set(lines)
    else:
        assert not rejected and len(err) == 1
    new_count = snapshot(store)[0]
    assert new_count == count + stored
    # What was stored before is untouched: remove the new rows, and the checksum is back.
    store.execute("DELETE FROM llm_calls WHERE NOT (id = ANY(%s))", ([r[0] for r in old],))
    assert snapshot(store) == (count, checksum)
    (tmp_path / "in.jsonl.rejects").unlink(missing_ok=True)
