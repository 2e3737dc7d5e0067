"""Proxy fixtures: ``llmlog proxy`` in a thread of the test process, forwarding to the stub."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

import llmlog
from llmlog.proxy.app import ProxyConfig
from llmlog.proxy.server import serving
from tests.capture.conftest import CANARY, capture, stub  # noqa: F401  (fixtures)
from tests.stub_provider import StubServer

TIMEOUT = 0.5  # the proxy's upstream timeout: the stub's "stall" pauses 1 s


def config_for(server: StubServer, **options: Any) -> ProxyConfig:
    """The proxy's settings: forward to ``server``, time out after ``TIMEOUT``."""
    upstreams = {"openai_upstream": f"{server.url}/v1", "anthropic_upstream": server.url}
    return ProxyConfig(**{**upstreams, "timeout": TIMEOUT, **options})


@pytest.fixture(scope="module")
def proxy(stub: StubServer) -> Iterator[str]:  # noqa: F811
    """The proxy's URL (no token: it listens on loopback)."""
    with serving(config_for(stub)) as url:
        yield url


def via_openai(proxy: str, *, asynchronous: bool = False, **options: Any) -> Any:
    import openai

    cls = openai.AsyncOpenAI if asynchronous else openai.OpenAI
    options.setdefault("max_retries", 0)
    return cls(api_key=CANARY, base_url=f"{proxy}/v1", **options)


def via_anthropic(proxy: str, **options: Any) -> Any:
    import anthropic

    options.setdefault("max_retries", 0)
    return anthropic.Anthropic(api_key=CANARY, base_url=proxy, **options)


def stored(conn: psycopg.Connection, count: int) -> list[dict[str, Any]]:
    """The ``count`` calls stored, oldest first, once there are that many (the proxy hands
    a call to the writer after the client may have read its answer: as another process
    would, it is waited for)."""
    deadline = time.monotonic() + 10
    while True:
        assert llmlog.flush(10)
        cur = conn.execute("SELECT * FROM llm_calls ORDER BY id")
        names = [d.name for d in cur.description or []]
        found = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) == count
            return found
        time.sleep(0.01)
