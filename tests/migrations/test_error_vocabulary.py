"""Migration 0003: failed calls stored in the providers' words become capture's vocabulary.

Old-style rows are written as capture wrote them before 0003 (``old_error_type``); after
the migration each must hold what capture now stores for the same exchange.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from llmlog.capture import error_types
from llmlog.ids import new_id, ts_of
from llmlog.resources import bundled
from llmlog.store import migrations
from tests.conftest import fresh_database


@dataclass(frozen=True)
class Told:
    """What a failed call was told: an HTTP status, a body, an exception that ended it."""

    endpoint: str
    status: int | None
    body: dict[str, Any] | None = None
    exception: str | None = None

    def old_error_type(self) -> str | None:
        """``error_type`` as capture stored it before revision 0003."""
        if self.exception is not None:
            return self.exception
        error = self.body.get("error", self.body) if isinstance(self.body, dict) else None
        error = error if isinstance(error, dict) else {}
        if self.status is not None and self.status >= 400:
            return error.get("type") or error.get("code") or f"http_{self.status}"
        if self.endpoint == "messages":
            return error.get("type") or "stream_error"
        return error.get("code") or error.get("type") or "response.failed"

    def now(self) -> error_types.Failure:
        """What capture stores for it now."""
        if self.exception is not None:
            return error_types.from_exception(self.exception, "x")
        return error_types.from_body(self.body, self.status)


def http_errors(token: str) -> list[Told]:
    """A provider type or code in each shape it comes in: an HTTP error body of either
    provider, a stream's error event, a failed response."""
    return [
        Told("messages", 400, {"type": "error", "error": {"type": token, "message": "x"}}),
        Told("messages", 529, {"type": "error", "error": {"type": token, "message": "x"}}),
        Told("chat.completions", 429, {"error": {"type": "tokens", "code": token}}),
        Told("chat.completions", 503, {"error": {"type": token, "code": None}}),
        Told("messages", 200, {"content": [], "error": {"type": token, "message": "x"}}),
        Told("responses", 200, {"status": "failed", "error": {"code": token, "message": "x"}}),
    ]


def cases() -> list[Told]:
    tokens = [*error_types.BY_TOKEN, *error_types.BY_GENERIC, "something_new"]
    found = [told for token in tokens for told in http_errors(token)]
    for status in (*error_types.BY_STATUS, 405, 500, 502, 599):
        found += [
            Told("chat.completions", status, {"llmlog_raw": "<html>gateway</html>"}),
            Told("messages", status, None),
            Told("chat.completions", status, {"error": "Not Found"}),
        ]
    for name in (*error_types.BY_EXCEPTION, "ValueError"):
        found += [
            Told("chat.completions", None, exception=name),
            Told("messages", 200, {"content": [{"type": "text", "text": "He"}]}, name),
        ]
    found += [  # llmlog's own words where a body said nothing
        Told("messages", 200, {"content": [], "error": "boom"}),
        Told("responses", 200, {"status": "failed", "error": None}),
        Told("responses", 200, {"status": "failed", "error": {"type": 7, "code": ""}}),
    ]
    return found


@pytest.fixture(params=["pg_admin_url", "debian_admin_url"], ids=["embedded", "debian"])
def at_0002(request: pytest.FixtureRequest) -> Iterator[str]:
    """A store at revision 0002, on the embedded PostgreSQL 18 and on Debian's."""
    admin = request.getfixturevalue(request.param)
    with fresh_database(admin) as url:
        migrations.upgrade(url, "0002")
        yield url


def insert(conn: psycopg.Connection, told: Told, **columns: Any) -> str:
    call_id = new_id(datetime.now(UTC))
    values = {
        "id": call_id,
        "ts": ts_of(call_id),
        "trace_id": str(call_id),
        "provider": "anthropic" if told.endpoint == "messages" else "openai",
        "endpoint": told.endpoint,
        "status": "error",
        "http_status": told.status,
        "error_type": told.old_error_type(),
        "error_message": "x",
        "finish_reason": "error",
        "response": None if told.body is None else Jsonb(told.body),
        "metadata": Jsonb({"app": "shop"}),
        **columns,
    }
    names = ", ".join(values)
    marks = ", ".join(f"%({name})s" for name in values)
    conn.execute(f"INSERT INTO llm_calls ({names}) VALUES ({marks})", values)
    return str(call_id)


def stored(conn: psycopg.Connection, call_id: str) -> tuple[Any, ...]:
    row = conn.execute(
        "SELECT status, error_type, metadata, error_message FROM llm_calls WHERE id = %s",
        (call_id,),
    ).fetchone()
    assert row is not None
    return tuple(row)


def test_every_old_error_becomes_what_capture_stores_now_and_keeps_the_providers_words(
    at_0002: str,
) -> None:
    told = cases()
    with psycopg.connect(at_0002, autocommit=True) as conn:
        ids = [insert(conn, t) for t in told]
    migrations.upgrade(at_0002)
    with psycopg.connect(at_0002) as conn:
        wrong = []
        for t, call_id in zip(told, ids, strict=True):
            now = t.now()
            metadata = {"app": "shop"}
            if now.provider_error:
                metadata["provider_error"] = now.provider_error
            expected = ("error", now.error_type, metadata, "x")
            if stored(conn, call_id) != expected:
                wrong.append((t, stored(conn, call_id), expected))
    assert wrong == []
    assert len(told) > 250


def test_an_openai_token_rate_limit_and_an_anthropic_one_group_together(at_0002: str) -> None:
    """The case that made the vocabulary: ``tokens`` beside ``rate_limit_error``."""
    tokens = {"message": "Rate limit reached", "type": "tokens", "code": "rate_limit_exceeded"}
    openai = Told("chat.completions", 429, {"error": tokens})
    anthropic_body = {"type": "error", "error": {"type": "rate_limit_error", "message": "x"}}
    anthropic = Told("messages", 429, anthropic_body)
    timeout = Told("chat.completions", None, exception="ReadTimeout")
    with psycopg.connect(at_0002, autocommit=True) as conn:
        ids = [insert(conn, t) for t in (openai, anthropic, timeout)]
        assert [stored(conn, i)[1] for i in ids] == ["tokens", "rate_limit_error", "ReadTimeout"]
    migrations.upgrade(at_0002)
    with psycopg.connect(at_0002) as conn:
        rows = [stored(conn, i) for i in ids]
        grouped = conn.execute(
            "SELECT error_type, count(*) FROM llm_calls GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert [r[1] for r in rows] == ["rate_limit", "rate_limit", "timeout"]
    assert [r[2]["provider_error"] for r in rows] == [
        {"type": "tokens", "code": "rate_limit_exceeded"},
        {"type": "rate_limit_error"},
        {"exception": "ReadTimeout"},
    ]
    assert grouped == [("rate_limit", 2), ("timeout", 1)]


def test_rows_already_in_the_vocabulary_and_successful_calls_are_left_alone(at_0002: str) -> None:
    with psycopg.connect(at_0002, autocommit=True) as conn:
        ok = insert(conn, Told("chat.completions", 200, {"choices": []}), status="ok",
                    error_type=None, error_message=None, finish_reason="stop")  # fmt: skip
        ingested = insert(conn, Told("chat.completions", None), error_type="timeout")
        new_style = insert(
            conn,
            Told("chat.completions", 503, {"error": {"type": "server_error"}}),
            error_type="overloaded",
            metadata=Jsonb({"provider_error": {"type": "server_error"}}),
        )
        before = [stored(conn, i) for i in (ok, ingested, new_style)]
    migrations.upgrade(at_0002)
    with psycopg.connect(at_0002) as conn:
        assert [stored(conn, i) for i in (ok, ingested, new_style)] == before


def test_downgrade_gives_back_the_providers_words(at_0002: str) -> None:
    told = [
        Told("chat.completions", 429, {"error": {"type": "tokens", "code": "rate_limit_exceeded"}}),
        Told("messages", 529, {"type": "error", "error": {"type": "overloaded_error"}}),
        Told("chat.completions", None, exception="ConnectError"),
        Told("chat.completions", 502, None),
    ]
    with psycopg.connect(at_0002, autocommit=True) as conn:
        ids = [insert(conn, t) for t in told]
    migrations.upgrade(at_0002)
    migrations.downgrade(at_0002, "0002")
    with psycopg.connect(at_0002) as conn:
        rows = [stored(conn, i) for i in ids]
    assert [r[1] for r in rows] == [t.old_error_type() for t in told]
    assert [r[2] for r in rows] == [{"app": "shop"}] * len(told)


def test_the_migrations_frozen_tables_are_capture_s_tables() -> None:
    """0003 keeps its own copy (a migration must not change when capture does): the
    copy must match the module it was taken from while that module stands."""
    path = bundled("alembic") / "versions" / "0003_error_vocabulary.py"
    spec = importlib.util.spec_from_file_location("m0003", path)
    assert spec is not None and spec.loader is not None
    m0003 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m0003)
    assert (m0003.TOKENS, m0003.GENERIC, m0003.BY_STATUS, m0003.EXCEPTIONS) == (
        error_types.TOKENS, error_types.GENERIC, error_types.BY_STATUS, error_types.EXCEPTIONS,
    )  # fmt: skip
    assert set(m0003.VOCABULARY) == set(error_types.VOCABULARY)
