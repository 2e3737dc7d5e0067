"""BatchWriter: COPY into daily partitions, idempotent on id."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest

from llmlog.ids import new_id, ts_of
from llmlog.store.batch import BatchWriter, from_row, to_row
from llmlog.store.records import Record, escape_text


def make_record(at: datetime, **extra: object) -> Record:
    call_id = new_id(at)
    return {
        "id": call_id,
        "ts": ts_of(call_id),
        "trace_id": str(call_id),
        "provider": "openai",
        "endpoint": "chat.completions",
        "model": "gpt-4o-mini",
        "request": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        **extra,
    }


def test_batch_lands_in_its_day_partition(store: psycopg.Connection) -> None:
    day = datetime(2026, 3, 4, 12, tzinfo=UTC)
    written = BatchWriter(store).write([make_record(day), make_record(day + timedelta(days=1))])
    assert written == 2
    rows = store.execute("SELECT tableoid::regclass::text FROM llm_calls ORDER BY ts").fetchall()
    assert [r[0] for r in rows] == ["llm_calls_p20260304", "llm_calls_p20260305"]


def test_writing_a_batch_twice_stores_each_call_once(store: psycopg.Connection) -> None:
    now = datetime.now(UTC)
    batch = [make_record(now) for _ in range(5)]
    writer = BatchWriter(store)
    assert writer.write(batch[:3]) == 3
    assert writer.write(batch) == 2
    assert store.execute("SELECT count(*) FROM llm_calls").fetchone()[0] == 5


def test_row_in_default_partition_moves_when_its_day_is_created(
    store: psycopg.Connection,
) -> None:
    at = datetime(2025, 1, 1, 8, tzinfo=UTC)
    record = make_record(at)
    with (
        store.cursor() as cur,
        cur.copy("COPY llm_calls (id, ts, trace_id, provider, endpoint) FROM STDIN") as copy,
    ):
        copy.write_row((record["id"], record["ts"], "t", "openai", "responses"))
    BatchWriter(store).write([make_record(at)])
    where = store.execute(
        "SELECT tableoid::regclass::text, count(*) FROM llm_calls GROUP BY 1"
    ).fetchall()
    assert where == [("llm_calls_p20250101", 2)]


TRICKY = "tab\there, line\nbreak\r\n, back\\slash, \\N, \\., é, \U0001f600"


def tricky_record(text: str, **extra: object) -> Record:
    """A record with ``text`` (separators, escapes, NULL markers) in every kind of column."""
    return make_record(
        datetime.now(UTC),
        output_text=text,
        system_prompt="\\",
        feature="",
        response={"text": text, "n": 1.5, "big": 2**62, "none": None},
        tool_calls=[{"id": "c1", "name": "f", "arguments": '{"a":"\\t"}'}],
        cost_usd=Decimal("1E-7"),
        latency_ms=812.25,
        input_tokens=0,
        streamed=True,
        **extra,
    )


def test_copy_text_keeps_every_value_exactly(store: psycopg.Connection) -> None:
    """Rows go out as ready COPY text: separators, escapes and NULL markers in values."""
    tricky = TRICKY
    record = tricky_record(tricky, metadata={"k": tricky})
    assert BatchWriter(store).write([record]) == 1
    row = store.execute(
        "SELECT output_text, system_prompt, feature, response, tool_calls, cost_usd, "
        "latency_ms, input_tokens, streamed, metadata, session_id, status FROM llm_calls"
    ).fetchone()
    assert row == (
        tricky, "\\", "", record["response"], record["tool_calls"], Decimal("1E-7"),
        812.25, 0, True, {"k": tricky}, None, "ok",
    )  # fmt: skip


def test_a_text_subclass_is_escaped_as_text(store: psycopg.Connection) -> None:
    """A str subclass (a redact hook's enum, say) goes through the same escapes as text."""

    class Feature(enum.StrEnum):
        TRIAGE = TRICKY

    record = make_record(datetime.now(UTC), feature=Feature.TRIAGE, input_tokens=7)
    assert from_row(to_row(record))["feature"] == TRICKY
    assert BatchWriter(store).write([record]) == 1
    assert store.execute("SELECT feature, input_tokens FROM llm_calls").fetchone() == (TRICKY, 7)


def test_a_long_text_subclass_is_cut_to_the_payload_limit() -> None:
    """A redact hook may return a str subclass: it is held to the same limit as text."""

    class Text(str):
        pass

    record = make_record(datetime.now(UTC), output_text=Text("x" * 5000))
    stored = from_row(to_row(record, max_payload_bytes=1000))
    assert stored["output_text"] == "x" * 1000 + "…[llmlog: truncated, 5000 bytes in all]"


def test_a_copy_line_reads_back_to_the_record_it_stores() -> None:
    """``from_row`` (how the writer spools built batches) inverts ``to_row`` exactly."""
    tricky = TRICKY + ", nul \x00"
    record = tricky_record(tricky, parent_id=new_id(), http_status=200)
    line = to_row(record)
    back = from_row(line)
    assert to_row(back) == line
    assert back["output_text"] == escape_text(tricky)  # poison escaped, as stored
    assert (back["parent_id"], back["cost_usd"], back["streamed"], back["http_status"]) == (
        record["parent_id"], Decimal("1E-7"), True, 200,
    )  # fmt: skip
    assert (back["ts"], back["response"]["big"], "session_id" in back) == (
        record["ts"], 2**62, False,
    )  # fmt: skip


def test_a_value_the_store_cannot_take_is_rejected_alone(store: psycopg.Connection) -> None:
    now = datetime.now(UTC)
    good, bad = make_record(now), make_record(now, feature=object())
    rejects: list[tuple[Record, str]] = []
    assert BatchWriter(store).write([good, bad], rejects) == 1
    assert [(r["id"], reason) for r, reason in rejects] == [
        (bad["id"], "cannot serialise: cannot store a object value")
    ]


def test_the_connection_may_hold_a_whole_batch_on_its_way(store: psycopg.Connection) -> None:
    """A batch goes to the kernel at once: the sending thread does not wake (and take the
    interpreter lock) for every ~200 KB the server reads."""
    import os
    import socket
    from pathlib import Path

    from llmlog.store.batch import SEND_BUFFER

    BatchWriter(store)
    with socket.socket(fileno=os.dup(store.pgconn.socket)) as sock:
        granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
    ceiling = int(Path("/proc/sys/net/core/wmem_max").read_text())
    assert granted >= min(SEND_BUFFER, ceiling)


def test_a_batch_writer_needs_an_autocommit_connection(store_url: str) -> None:
    """Each COPY commits by itself: in a transaction left open, nothing would be stored
    until someone commits, and a refused row would abort the rest of the batch."""
    with psycopg.connect(store_url) as conn, pytest.raises(ValueError, match="autocommit"):
        BatchWriter(conn)
