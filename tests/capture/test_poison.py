"""Poison text stored losslessly, oversize payloads cut with a marker, bad rows isolated."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import psycopg

import llmlog
from llmlog.capture.build import build
from llmlog.settings import Settings
from llmlog.store.batch import BatchWriter
from llmlog.store.records import ESCAPED, TRUNCATED, escape_text, unescape, unescape_text
from tests import stub_provider as stub_mod
from tests.capture.conftest import anthropic_client, openai_client, rows
from tests.capture.test_build import exchange
from tests.integration.test_batch import make_record
from tests.stub_provider import StubServer


def test_escape_round_trips() -> None:
    for text in ["plain", "nul\x00here", "lone \ud800 half", "back\\slash \\u0000 literal\x00"]:
        assert unescape_text(escape_text(text)) == text
    assert escape_text("a\x00b") == "a\\u0000b"
    assert escape_text("a\\u0000b\x00") == "a\\\\u0000b\\u0000"


def test_model_output_with_nul_and_lone_surrogate_is_stored_losslessly(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    chat = llmlog.wrap(openai_client(stub))
    result = chat.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "poison"}]
    )
    assert result.choices[0].message.content == stub_mod.POISON
    with llmlog.wrap(anthropic_client(stub)).messages.stream(
        model="claude-haiku-4-5", max_tokens=5, messages=[{"role": "user", "content": "poison"}]
    ) as stream:
        stream.until_done()
    found = rows(store)
    assert len(found) == 2
    for row in found:
        assert row["output_text"] == escape_text(stub_mod.POISON)
        assert "output_text" in row["metadata"][ESCAPED]
        assert unescape(row)["output_text"] == stub_mod.POISON
    chat_row = unescape(found[0])
    assert chat_row["response"]["choices"][0]["message"]["content"] == stub_mod.POISON


def test_a_body_with_escaped_surrogate_pairs_is_stored_as_received(
    store: psycopg.Connection,
) -> None:
    """JSON written with ASCII escapes (Python's default) carries an emoji as a surrogate
    pair; jsonb takes such a body as received, with nothing escaped by llmlog."""
    body = stub_mod.chat_body("gpt-4o-mini", "text")
    body["choices"][0]["message"]["content"] = "hé \U0001f600"
    wire = json.dumps(body).encode()
    assert b"\\ud83d\\ude00" in wire
    record = build(exchange(wire, {"content-type": "application/json"}), Settings())
    assert BatchWriter(store).write([record]) == 1
    [row] = rows(store)
    assert row["response"] == body
    assert (row["output_text"], ESCAPED in row["metadata"]) == ("hé \U0001f600", False)


def test_a_body_jsonb_would_refuse_as_sent_is_stored_re_encoded(
    store: psycopg.Connection,
) -> None:
    """Python's JSON may write NaN; such a body is stored (NaN as null), not refused."""
    wire = b'{"model": "gpt-4o-mini", "choices": [], "score": NaN}'
    record = build(exchange(wire, {"content-type": "application/json"}), Settings())
    assert BatchWriter(store).write([record]) == 1
    [row] = rows(store)
    assert row["response"] == {"model": "gpt-4o-mini", "choices": [], "score": None}


def test_one_bad_row_does_not_lose_the_batch(store: psycopg.Connection) -> None:
    now = datetime.now(UTC)
    batch = [make_record(now, input_tokens=10) for _ in range(9)]
    bad = make_record(now, input_tokens=2**40)  # out of range for integer
    batch.insert(4, bad)
    refused: list[tuple[dict[str, object], str]] = []
    assert BatchWriter(store).write(batch, refused) == 9
    assert [(r["id"], r["input_tokens"]) for r, _ in refused] == [(bad["id"], 2**40)]
    assert "out of range" in refused[0][1]
    assert store.execute("SELECT count(*) FROM llm_calls").fetchone()[0] == 9


def test_oversize_payload_is_cut_with_a_marker(store: psycopg.Connection) -> None:
    now = datetime.now(UTC)
    big = "x" * 5000
    record = make_record(
        now,
        request={"model": "m", "messages": [{"role": "user", "content": big}]},
        output_text=big,
    )
    assert BatchWriter(store, max_payload_bytes=1000).write([record]) == 1
    request, output, metadata = store.execute(
        "SELECT request, output_text, metadata FROM llm_calls"
    ).fetchone()
    assert request[TRUNCATED] is True and request["bytes"] > 5000
    assert len(request["head"]) == 1000
    assert output.startswith("x" * 1000) and output.endswith(
        "[llmlog: truncated, 5000 bytes in all]"
    )
    assert metadata[TRUNCATED] == ["request", "output_text"]


def test_a_label_too_long_for_the_report_indexes_is_stored_cut_with_a_marker(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    """An application that puts a whole text in a label (a 4 KB tenant id, say) still
    has its call stored: the label is cut to what the indexes hold, ending in …"""
    import random
    import string

    noise = "".join(random.Random(2).choices(string.ascii_letters, k=4000))
    chat = llmlog.wrap(openai_client(stub), feature="é" * 200, tenant_id=noise)
    chat.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    (row,) = rows(store)
    assert row["tenant_id"] == noise[:253] + "…"
    assert row["feature"] == "é" * 126 + "…"  # 252 bytes of é, whole characters only
    assert len(row["feature"].encode()) <= 256 and len(row["tenant_id"].encode()) == 256
