"""From raw exchange to record: compressed bodies, unparseable bodies never lose a call."""

from __future__ import annotations

import gzip
import json
from types import SimpleNamespace

import httpx2

from llmlog.capture.build import build, fallback
from llmlog.capture.exchange import Began, Exchange, Source, begin, failed, response_facts
from llmlog.settings import Settings
from llmlog.store.batch import from_row, to_row
from llmlog.store.records import from_json, to_json, unescape
from tests import stub_provider as stub_mod


def exchange(body: bytes, headers: dict[str, str]) -> Exchange:
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    began = begin(
        Source("openai"),
        httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions", json=request),
    )
    assert began is not None
    facts, streamed = response_facts(httpx2.Headers(headers))
    return Exchange(*began, 200, facts, streamed, (body,), 5.0)


def test_gzip_body_is_decoded() -> None:
    body = stub_mod.chat_body("gpt-4o-mini", "text")
    raw = gzip.compress(json.dumps(body).encode())
    record = build(
        exchange(raw, {"content-type": "application/json", "content-encoding": "gzip"}),
        Settings(),
    )
    assert record["response"] == body
    assert record["output_text"] == stub_mod.TEXT


def test_a_body_that_is_not_json_is_kept_raw() -> None:
    record = build(exchange(b"<html>gateway</html>", {"content-type": "text/html"}), Settings())
    assert record["response"] == {"llmlog_raw": "<html>gateway</html>"}
    assert record["status"] == "ok" and record["output_text"] is None


def test_fallback_keeps_the_outline() -> None:
    item = exchange(b"{}", {"content-type": "application/json"})._replace(status_code=502)
    record = fallback(item)
    assert (record["status"], record["http_status"], record["metadata"]) == (
        "error", 502, {"llmlog_parse_failed": True},
    )  # fmt: skip
    assert (record["error_type"], record["finish_reason"]) == ("server_error", "error")


def test_a_built_row_spools_as_the_call_it_stores() -> None:
    """The writer keeps built calls as COPY lines; a spooled line (``from_row``) holds the
    call exactly, poison and all (``unescape``)."""
    body = stub_mod.chat_body("gpt-4o-mini", "text")
    body["choices"][0]["message"]["content"] = "emoji \U0001f600, lone \ud800, nul \x00, tab\t"
    wire = json.dumps(body).encode()  # ASCII escapes, surrogate pairs included
    for raw in (wire, gzip.compress(wire)):
        headers = {"content-type": "application/json"}
        if raw is not wire:
            headers["content-encoding"] = "gzip"
        record = build(exchange(raw, headers), Settings())
        spooled = from_json(to_json(from_row(to_row(record))))
        assert unescape(spooled)["response"] == body
        assert to_row(spooled) == to_row(record)


def test_an_exchange_starts_with_the_fields_of_the_request_that_began_it() -> None:
    """The tee makes an exchange as ``Exchange(*began, ...)``."""
    assert Exchange._fields[: len(Began._fields)] == Began._fields


def test_an_exception_that_cannot_be_printed_is_recorded_by_its_type() -> None:
    """Recording a failed call must never raise in place of the application's error."""

    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    began = begin(Source("openai"), httpx2.Request("POST", "http://x/v1/chat/completions"))
    assert began is not None
    ended = failed(began, Unprintable())
    assert (ended.error_type, ended.error_message) == ("Unprintable", "Unprintable")


def test_a_request_is_noted_from_public_attributes_alone() -> None:
    """``begin`` reads httpx2's kept header list and undecoded path when they are there;
    an httpx2 without them (these objects have only the public attributes) loses nothing."""
    request = SimpleNamespace(
        method="POST",
        url=SimpleNamespace(path="/v1/chat/completions"),
        headers=SimpleNamespace(raw=[(b"X-Stainless-Retry-Count", b"2"), (b"Accept", b"*/*")]),
        content=b"{}",
    )
    began = begin(Source("openai"), request)
    assert began is not None
    assert (began.endpoint, began.request_body) == ("chat.completions", b"{}")
    assert began.request_facts == {b"x-stainless-retry-count": b"2"}
    facts, streamed = response_facts(
        SimpleNamespace(raw=[(b"Content-Type", b"text/event-stream"), (b"X-Request-ID", b"r1")])
    )
    assert streamed and facts[b"x-request-id"] == b"r1"


def test_only_posts_to_captured_endpoints_are_noted() -> None:
    source = Source("openai")
    assert begin(source, httpx2.Request("GET", "http://x/v1/chat/completions")) is None
    assert begin(source, httpx2.Request("POST", "http://x/v1/embeddings")) is None
    noted = begin(source, httpx2.Request("POST", "http://x/v1/messages/"))
    assert noted is not None and noted.endpoint == "messages"
