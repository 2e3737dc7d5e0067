"""OTLP fixtures: ``llmlog otlp`` served in-process on an ephemeral port over the test's store."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from llmlog import settings
from llmlog.otlp.receiver import Receiver
from llmlog.otlp.server import App, server
from llmlog.store import connect
from tests.stub_provider import StubServer


@dataclass
class Running:
    url: str
    app: App


@pytest.fixture(scope="session")
def stub() -> Iterator[StubServer]:
    server = StubServer().start()
    yield server
    server.stop()


def serve(database_url: str, token: str | None = None, receiver: Receiver | None = None) -> Any:
    """A context manager: ``llmlog otlp`` over ``database_url`` (or ``receiver``) on
    127.0.0.1, on an ephemeral port."""
    import contextlib

    @contextlib.contextmanager
    def running() -> Iterator[Running]:
        settings.reset()
        made = receiver or Receiver(lambda: connect.connect(database_url), settings.current())
        app = App(made, token)
        uv = server(app, "127.0.0.1", 0)
        thread = threading.Thread(target=uv.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not uv.started:
            assert time.monotonic() < deadline, "the receiver did not start"
            time.sleep(0.01)
        port = uv.servers[0].sockets[0].getsockname()[1]
        try:
            yield Running(f"http://127.0.0.1:{port}", app)
        finally:
            uv.should_exit = True
            thread.join(10)

    return running()


@pytest.fixture
def receiver(store_url: str) -> Iterator[Running]:
    with serve(store_url) as running:
        yield running


def rows(conn: psycopg.Connection, where: str = "true", *params: object) -> list[dict[str, Any]]:
    cur = conn.execute(f"SELECT * FROM llm_calls WHERE {where} ORDER BY ts, id", params)
    names = [d.name for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def wait_for(check: Callable[[], Any], timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)
