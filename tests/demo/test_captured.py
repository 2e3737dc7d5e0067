"""Demo rows and captured rows of the same exchange agree.

Each kind of answer and error the demo makes is served by the stub provider to the real
SDK through ``llmlog.wrap``; the demo's row for the same request and body must hold what
capture stored. (Non-streamed: a stream reassembles into the same body, which
tests/capture checks.)
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import Any

import psycopg
import pytest

import llmlog
from llmlog.demo import captured, shapes
from llmlog.demo.catalogue import MODELS
from llmlog.demo.texts import ToolCall, Turn
from llmlog.demo.traffic import ERRORS
from tests.capture.conftest import anthropic_client, capture, openai_client, rows, stub
from tests.stub_provider import StubServer

__all__ = ["capture", "stub"]  # fixtures

# What capture derives from an exchange's bodies, beside the bodies themselves.
DERIVED = (
    "status", "http_status", "error_type", "error_message", "finish_reason", "response",
    "response_model", "system_prompt", "output_text", "tool_calls", "input_tokens",
    "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens", "cost_usd",
)  # fmt: skip


CALL = ToolCall("call_abc123", "lookup_order", '{"order_id":"A-1"}', {"order_id": "A-1"})
USAGE = shapes.Usage(1200, 80, cache_read=256, reasoning=16)


def model_for(endpoint: str) -> str:
    return next(name for name, m in MODELS.items() if m.endpoint == endpoint)


def demo_request(endpoint: str) -> dict[str, Any]:
    params = shapes.Params(model=model_for(endpoint), max_tokens=300, stream=False)
    turns = (Turn("user", "Where is my order A-1?"),)
    return shapes.request(endpoint, params, system="You answer orders.", turns=turns, tools=())


def send(stub: StubServer, endpoint: str, request: dict[str, Any], reply: str) -> None:
    """Send ``request`` with the real SDK, answered by the stub's ``reply`` (the SDK's
    exception for an error answer is expected: the stored row is what is compared)."""
    import anthropic
    import openai

    headers = {"x-stub-reply": reply}
    if endpoint == "messages":
        client = llmlog.wrap(anthropic_client(stub, timeout=0.3))
        with suppress(anthropic.APIError):
            client.messages.create(**request, extra_headers=headers)
        return
    client = llmlog.wrap(openai_client(stub, timeout=0.3))
    api = client.chat.completions if endpoint == "chat.completions" else client.responses
    with suppress(openai.APIError):
        api.create(**request, extra_headers=headers)


def demo_row(endpoint: str, request: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """The call the demo makes for ``request`` (at the stored call's time)."""
    provider = MODELS[request["model"]].provider
    return {"provider": provider, "endpoint": endpoint, "model": request["model"],
            "request": request, "ts": stored["ts"], "metadata": {}}  # fmt: skip


@pytest.mark.parametrize("endpoint", ["chat.completions", "responses", "messages"])
@pytest.mark.parametrize(
    "reply",
    [
        shapes.Reply("Your order ships today.", (), "stop"),
        shapes.Reply("Let me look.", (CALL,), "tool_calls"),
        shapes.Reply("I can't help with that.", (), "refusal"),
        shapes.Reply("Your order ships", (), "length"),
    ],
    ids=["stop", "tool_calls", "refusal", "length"],
)
def test_a_demo_answer_row_is_what_capture_stores_for_the_same_body(
    capture: Path, store: psycopg.Connection, stub: StubServer, endpoint: str,
    reply: shapes.Reply,
) -> None:  # fmt: skip
    request = demo_request(endpoint)
    body = shapes.response(endpoint, request["model"], reply, USAGE, ident="e" * 24, created=1)
    stub.replies["answer"] = (200, body, 0.0)
    send(stub, endpoint, request, "answer")
    (row,) = rows(store)
    demo = demo_row(endpoint, request, row)
    captured.answer(demo, body)
    assert row["request"] == request and row["status"] == "ok"
    assert {c: row[c] for c in DERIVED} == {c: demo.get(c) for c in DERIVED}


HTTP_ERRORS = sorted(
    {(kind, status) for kind, status, _ in ERRORS if status is not None} | {("overloaded", 529)}
)


@pytest.mark.parametrize("endpoint", ["chat.completions", "responses", "messages"])
@pytest.mark.parametrize(("kind", "status"), HTTP_ERRORS)
def test_a_demo_error_row_is_what_capture_stores_for_the_same_body(
    capture: Path, store: psycopg.Connection, stub: StubServer, endpoint: str, kind: str,
    status: int,
) -> None:  # fmt: skip
    provider = MODELS[model_for(endpoint)].provider
    if kind == "overloaded" and provider != "anthropic":
        pytest.skip("only Anthropic answers 529")
    request = demo_request(endpoint)
    body = shapes.error_body(provider, kind, status, model=request["model"], ident="f" * 32)
    stub.replies[f"{kind}{status}"] = (status, body, 0.0)
    send(stub, endpoint, request, f"{kind}{status}")
    (row,) = rows(store)
    demo = demo_row(endpoint, request, row)
    captured.fail(demo, status=status, body=body)
    assert row["request"] == request  # the same exchange
    assert {c: row[c] for c in DERIVED} == {c: demo.get(c) for c in DERIVED}
    assert row["metadata"]["provider_error"] == demo["metadata"]["provider_error"]


@pytest.mark.parametrize("endpoint", ["chat.completions", "messages"])
def test_a_demo_timeout_row_is_what_capture_stores_when_no_answer_comes(
    capture: Path, store: psycopg.Connection, stub: StubServer, endpoint: str
) -> None:
    """The message is the one thing that differs: over TLS (the demo's providers) the
    client says "The read operation timed out", over the stub's plain HTTP "timed out"."""
    request = demo_request(endpoint)
    stub.replies["late"] = (200, {}, 1.0)
    send(stub, endpoint, request, "late")
    (row,) = rows(store)
    demo = demo_row(endpoint, request, row)
    captured.fail(demo, status=None, body=None, exception=captured.TIMEOUT)
    same = [c for c in DERIVED if c != "error_message"]
    assert {c: row[c] for c in same} == {c: demo.get(c) for c in same}
    assert (row["error_type"], row["http_status"]) == ("timeout", None)
    assert row["metadata"]["provider_error"] == demo["metadata"]["provider_error"]
