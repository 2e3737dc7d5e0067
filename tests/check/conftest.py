"""Check fixtures: crafted calls at known times, a report session, a stub webhook."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
import pytest

from llmlog.check.rules import parse
from llmlog.reports.run import tune_session
from llmlog.store.batch import BatchWriter
from tests.reports.conftest import call

# The moment the checks run at: mid-afternoon UTC, so "today" has room before it.
NOW = datetime.now(UTC).replace(hour=15, minute=0, second=0, microsecond=0)


@pytest.fixture
def add(store: psycopg.Connection) -> Callable[..., None]:
    """``add(ago, n=1, **fields)``: ``n`` calls ``ago`` before NOW (a timedelta)."""

    def make(ago: timedelta, n: int = 1, **fields: Any) -> None:
        fields.setdefault("latency_ms", 100.0)
        fields.setdefault("feature", "support")
        records = [call(NOW - ago + timedelta(milliseconds=k), **fields) for k in range(n)]
        BatchWriter(store).write(records)

    return make


@pytest.fixture
def reader(store_url: str) -> Iterator[psycopg.Connection]:
    """A report session (read-only, statement timeout), as `llmlog check` opens."""
    with psycopg.connect(store_url, autocommit=True) as conn:
        tune_session(conn)
        yield conn


def rule(**keys: Any) -> Any:
    """One rule from TOML keys."""
    body = "\n".join(f"{k} = {_toml(v)}" for k, v in {"name": "r", **keys}.items())
    (made,) = parse("[[rule]]\n" + body, "test.toml")
    return made


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


class Webhook(ThreadingHTTPServer):
    """A stand-in for a Slack incoming webhook on 127.0.0.1: keeps each JSON body."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Hook)
        self.posts: list[dict[str, Any]] = []
        self.status = 200
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/services/T000/SECRET"


class _Hook(BaseHTTPRequestHandler):
    server: Webhook

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.server.status == 200:
            self.server.posts.append(json.loads(body))
        self.send_response(self.server.status)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    server = Webhook()
    yield server
    server.shutdown()
    server.server_close()
