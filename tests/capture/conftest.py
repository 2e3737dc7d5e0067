"""Capture fixtures: the stub provider server, SDK clients pointed at it, a fresh writer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

import llmlog
from llmlog import settings
from llmlog.capture import writer
from tests.stub_provider import StubServer

CANARY = "sk-canary-0123456789abcdefCANARY"


@pytest.fixture(scope="session")
def stub() -> Iterator[StubServer]:
    server = StubServer().start()
    yield server
    server.stop()


@pytest.fixture
def capture(store_url: str, tmp_path: Path) -> Iterator[Path]:
    """Capture into the test's own store; yields the spool directory."""
    spool = tmp_path / "spool"
    settings.reset()
    llmlog.configure(database_url=store_url, spool_dir=spool, flush_interval=0.05)
    yield spool
    writer.shutdown()
    settings.reset()


def openai_client(stub: StubServer, *, asynchronous: bool = False, **options: Any) -> Any:
    import openai

    cls = openai.AsyncOpenAI if asynchronous else openai.OpenAI
    options.setdefault("max_retries", 0)
    return cls(api_key=CANARY, base_url=f"{stub.url}/v1", **options)


def anthropic_client(stub: StubServer, *, asynchronous: bool = False, **options: Any) -> Any:
    import anthropic

    cls = anthropic.AsyncAnthropic if asynchronous else anthropic.Anthropic
    options.setdefault("max_retries", 0)
    return cls(api_key=CANARY, base_url=stub.url, **options)


def rows(conn: psycopg.Connection, where: str = "true", *params: object) -> list[dict[str, Any]]:
    """Stored calls as dicts, oldest first (flushes the writer first)."""
    assert llmlog.flush(10)
    cur = conn.execute(f"SELECT * FROM llm_calls WHERE {where} ORDER BY id", params)
    names = [d.name for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
