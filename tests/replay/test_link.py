"""A replay's row links back to its original through the ``replay_of`` column."""

from __future__ import annotations

from pathlib import Path

import psycopg

import llmlog
from llmlog.capture.build import REPLAY_OF
from llmlog.ids import new_id
from tests.capture.conftest import openai_client, rows
from tests.stub_provider import StubServer


def test_a_call_made_with_the_replay_key_in_its_context_stores_replay_of_not_the_key(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    original = new_id()
    client = llmlog.wrap(openai_client(stub))
    with llmlog.context(metadata={REPLAY_OF: str(original), "note": "kept"}):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
    (row,) = rows(store)
    assert row["replay_of"] == original
    assert row["metadata"] == {"note": "kept", "attempt": 1, "headers": row["metadata"]["headers"]}
