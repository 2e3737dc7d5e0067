"""``llmlog otlp`` on the wire: both encodings, gzip, malformed exports (the OTLP error
status, nothing stored), duplicates, spans that are not GenAI calls, partial success."""

from __future__ import annotations

import gzip
import json
import os
import socket
import time
from typing import Any

import httpx
import psycopg
import pytest
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from llmlog import settings
from llmlog.otlp import wire
from tests.otlp.app import otlp_json
from tests.otlp.conftest import Running, rows, serve

TRACE = bytes.fromhex("4bf92f3577b34da6a3ce929d0e0e4736")
TEXT_PART = {"type": "text", "content": "Hello!"}
TOOL = {
    "type": "function",
    "name": "lookup",
    "description": "Find",
    "parameters": {"type": "object"},
}
CHAT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "gen_ai.usage.input_tokens": 120,
    "gen_ai.usage.output_tokens": 8,
    "gen_ai.usage.cache_read.input_tokens": 100,
    "gen_ai.response.finish_reasons": ["stop"],
    "gen_ai.conversation.id": "conv-7",
    "gen_ai.system_instructions": json.dumps([{"type": "text", "content": "Be brief."}]),
    "gen_ai.input.messages": json.dumps(
        [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]
    ),
    "gen_ai.output.messages": json.dumps(
        [{"role": "assistant", "parts": [TEXT_PART], "finish_reason": "stop"}]
    ),
    "gen_ai.tool.definitions": json.dumps([TOOL]),
}
BAD_ID = b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}'


def span(
    span_id: int, attributes: dict[str, Any], *, parent: int | None = None, name: str = "chat",
    start_ns: int | None = None, trace: bytes = TRACE,
) -> trace_pb2.Span:  # fmt: skip
    start = start_ns if start_ns is not None else time.time_ns() - 2_000_000_000
    made = trace_pb2.Span(
        trace_id=trace, span_id=span_id.to_bytes(8, "big"), name=name,
        start_time_unix_nano=start, end_time_unix_nano=start + 250_000_000,
        parent_span_id=parent.to_bytes(8, "big") if parent else b"",
    )  # fmt: skip
    for key, value in attributes.items():
        wire.any_value(value, made.attributes.add(key=key).value)
    return made


def export(*spans: trace_pb2.Span) -> trace_service_pb2.ExportTraceServiceRequest:
    request = trace_service_pb2.ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.extend(spans)
    return request


def post(url: str, body: bytes, kind: str = wire.PROTOBUF, **headers: str) -> httpx.Response:
    return httpx.post(f"{url}/v1/traces", content=body, headers={"content-type": kind, **headers})


def test_a_genai_span_becomes_the_row_capture_would_store(
    receiver: Running, store: psycopg.Connection
) -> None:
    answer = post(receiver.url, export(span(1, CHAT)).SerializeToString())
    assert answer.status_code == 200
    assert answer.headers["content-type"] == wire.PROTOBUF
    reply = trace_service_pb2.ExportTraceServiceResponse.FromString(answer.content)
    assert not reply.HasField("partial_success")
    [row] = rows(store)
    assert row["trace_id"] == TRACE.hex() and row["session_id"] == "conv-7"
    assert row["request"] == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        "tools": [{"type": "function", "function": {"name": "lookup", "description": "Find",
                                                    "parameters": {"type": "object"}}}],
    }  # fmt: skip
    assert (row["system_prompt"], row["output_text"], row["finish_reason"]) == (
        "Be brief.",
        "Hello!",
        "stop",
    )
    assert (row["input_tokens"], row["output_tokens"], row["cache_read_tokens"]) == (120, 8, 100)
    assert row["response_model"] == "gpt-4o-mini-2024-07-18"
    assert row["latency_ms"] == 250.0 and row["cost_usd"] is not None


def test_json_and_gzip_bodies_store_the_same_row(
    receiver: Running, store: psycopg.Connection
) -> None:
    request = export(span(1, CHAT, start_ns=time.time_ns() - 5_000_000_000))
    answer = post(receiver.url, otlp_json(request), wire.JSON)
    assert answer.status_code == 200 and answer.headers["content-type"] == wire.JSON
    assert answer.json() == {}
    zipped = gzip.compress(request.SerializeToString())
    assert post(receiver.url, zipped, **{"content-encoding": "gzip"}).status_code == 200
    assert len(rows(store)) == 1  # (the same span twice: stored once)


def test_json_fields_a_newer_sender_adds_are_ignored(
    receiver: Running, store: psycopg.Connection
) -> None:
    data = json.loads(otlp_json(export(span(1, CHAT))))
    data["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["futureField"] = {"x": 1}
    data["somethingNew"] = True
    assert post(receiver.url, json.dumps(data).encode(), wire.JSON).status_code == 200
    assert len(rows(store)) == 1


def test_a_resent_export_is_stored_once(receiver: Running, store: psycopg.Connection) -> None:
    at = time.time_ns() - 3_000_000_000
    body = export(span(1, CHAT, start_ns=at), span(2, CHAT, start_ns=at)).SerializeToString()
    for _ in range(3):
        assert post(receiver.url, body).status_code == 200
    again = export(span(2, CHAT, start_ns=at), span(3, CHAT, start_ns=at))
    assert post(receiver.url, again.SerializeToString()).status_code == 200
    assert len(rows(store)) == 3


def test_spans_that_are_not_genai_calls_are_ignored_but_lead_to_the_parent_call(
    receiver: Running, store: psycopg.Connection
) -> None:
    agent = span(1, {**CHAT, "gen_ai.operation.name": "chat"}, name="plan")
    tool = span(
        2, {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup"}, parent=1
    )
    http = span(3, {"http.request.method": "POST"}, parent=2, name="POST")
    child = span(4, CHAT, parent=3)
    embed = span(5, {"gen_ai.operation.name": "embeddings", "gen_ai.request.model": "te-3"})
    assert (
        post(receiver.url, export(agent, tool, http, child, embed).SerializeToString()).status_code
        == 200
    )
    first, second = rows(store)
    assert first["parent_id"] is None and second["parent_id"] == first["id"]
    assert second["metadata"]["otel"]["parent_span_id"] == (3).to_bytes(8, "big").hex()


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"\x0a\x05not a protobuf", {}, 400),
        (BAD_ID, {"content-type": wire.JSON}, 400),
        (b"[1, 2]", {"content-type": wire.JSON}, 400),
        (b"not gzip at all", {"content-encoding": "gzip"}, 400),
        (b"", {"content-type": "text/plain"}, 415),
        (b"", {"content-encoding": "br"}, 415),
    ],
)  # fmt: skip
def test_a_malformed_export_gets_the_otlp_error_status_and_nothing_is_stored(
    receiver: Running, store: psycopg.Connection, body: bytes, headers: dict[str, str], status: int
) -> None:
    answer = post(receiver.url, body, **headers)
    assert answer.status_code == status
    if answer.headers["content-type"] == wire.PROTOBUF:
        assert status_pb2.Status.FromString(answer.content).message
    else:
        assert answer.json()["message"]
    assert rows(store) == []


def test_one_bad_span_fails_the_whole_export(receiver: Running, store: psycopg.Connection) -> None:
    good = span(1, CHAT)
    bad = span(2, CHAT)
    bad.span_id = b"\x01\x02"
    answer = post(receiver.url, export(good, bad).SerializeToString())
    assert answer.status_code == 400
    assert "8" in status_pb2.Status.FromString(answer.content).message
    assert rows(store) == []


def test_a_span_the_store_cannot_hold_is_rejected_in_partial_success(
    receiver: Running, store: psycopg.Connection
) -> None:
    ancient = span(2, CHAT, start_ns=1_000_000_000)  # (1970: before any call llmlog stores)
    answer = post(receiver.url, export(span(1, CHAT), ancient).SerializeToString())
    assert answer.status_code == 200
    reply = trace_service_pb2.ExportTraceServiceResponse.FromString(answer.content)
    assert reply.partial_success.rejected_spans == 1
    assert "out of range" in reply.partial_success.error_message
    assert len(rows(store)) == 1


def test_other_paths_and_methods_are_refused(receiver: Running) -> None:
    assert httpx.post(f"{receiver.url}/v1/metrics", content=b"").status_code == 404
    assert httpx.get(f"{receiver.url}/v1/traces").status_code == 405


def test_with_a_token_an_export_without_it_is_refused(
    store_url: str, store: psycopg.Connection
) -> None:
    token = os.urandom(8).hex()
    body = export(span(1, CHAT)).SerializeToString()
    with serve(store_url, token=token) as running:
        assert post(running.url, body).status_code == 401
        assert post(running.url, body, authorization="Bearer wrong").status_code == 401
        assert rows(store) == []
        assert post(running.url, body, authorization=f"Bearer {token}").status_code == 200
    assert len(rows(store)) == 1


ODD = [
    {"gen_ai.input.messages": "not json", "gen_ai.output.messages": "[1, 2]"},
    {"gen_ai.input.messages": json.dumps([{"role": "user", "parts": "x"}])},
    {"gen_ai.input.messages": json.dumps([{"role": 5, "parts": [{"type": "text", "content": 3}]}])},
    {
        "gen_ai.output.messages": json.dumps(
            [{"parts": [{"type": "tool_call", "arguments": "{bad"}]}]
        )
    },
    {"gen_ai.output.messages": json.dumps([{"parts": [], "finish_reason": {"a": 1}}])},
    {"gen_ai.response.finish_reasons": {"a": [1]}, "gen_ai.tool.definitions": "[3]"},
    {"gen_ai.system_instructions": json.dumps({"type": "text", "content": "odd"})},
    {"gen_ai.usage.input_tokens": "12", "gen_ai.request.model": 4},
    {"gen_ai.usage.input_tokens": -5},
    {"error.type": 42, "llmlog.call_id": "not a uuid"},
]


def test_attributes_of_unexpected_shapes_are_stored_or_rejected_never_a_server_error(
    receiver: Running, store: psycopg.Connection
) -> None:
    request = export(*(span(n + 1, {**CHAT, **odd}) for n, odd in enumerate(ODD)))
    answer = post(receiver.url, request.SerializeToString())
    assert answer.status_code == 200
    reply = trace_service_pb2.ExportTraceServiceResponse.FromString(answer.content)
    assert len(rows(store)) + reply.partial_success.rejected_spans == len(ODD)
    assert reply.partial_success.rejected_spans >= 2  # (negative tokens, a bad call id)


def test_while_the_store_is_unreachable_exports_get_503_and_are_stored_when_resent(
    store_url: str, store: psycopg.Connection
) -> None:
    from llmlog.otlp.receiver import Receiver
    from llmlog.store import connect

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"postgresql://nobody@127.0.0.1:{probe.getsockname()[1]}/none"
    target = [dead]
    receiver = Receiver(lambda: connect.connect(target[0], timeout=1), settings.current())
    body = export(span(1, CHAT)).SerializeToString()
    with serve(store_url, receiver=receiver) as running:
        answer = post(running.url, body)
        assert answer.status_code == 503
        assert "unreachable" in status_pb2.Status.FromString(answer.content).message
        target[0] = store_url
        assert post(running.url, body).status_code == 200
    assert len(rows(store)) == 1
