"""How a span becomes a record, for spans from other instrumentations: Anthropic, the older
conventions' span events, error types, and the stable ids that make re-sent exports
idempotent."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from opentelemetry.proto.trace.v1 import trace_pb2

from llmlog import settings
from llmlog.capture import error_types
from llmlog.ids import id_time, is_v7, stable_id
from llmlog.otlp import wire
from llmlog.otlp.spans import Span, records
from tests.otlp.test_receiver import CHAT, TRACE, span


def record_of(proto: trace_pb2.Span, resource: dict[str, Any] | None = None) -> dict[str, Any]:
    made, rejected = records(
        [Span(proto, wire.values(proto.attributes), resource or {}, _events(proto))],
        settings.current(),
    )
    assert rejected == []
    return made[0][1]


def _events(proto: trace_pb2.Span) -> list[tuple[str, Any]]:
    return [(event.name, wire.values(event.attributes)) for event in proto.events]


def test_an_anthropic_span_becomes_a_messages_call_with_its_tool_exchange() -> None:
    messages = [
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
        {"role": "assistant", "parts": [{"type": "tool_call", "id": "tu_1", "name": "weather",
                                         "arguments": {"city": "Paris"}}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "tu_1",
                                    "response": "21C"}]},
    ]  # fmt: skip
    output = [{"role": "assistant", "parts": [{"type": "text", "content": "It is 21C."}],
               "finish_reason": "stop"}]  # fmt: skip
    record = record_of(
        span(1, {
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
            "gen_ai.request.model": "claude-haiku-4-5", "gen_ai.request.max_tokens": 200,
            "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 20,
            "gen_ai.usage.cache_read.input_tokens": 600,
            "gen_ai.usage.cache_creation.input_tokens": 300,
            "gen_ai.system_instructions": json.dumps([{"type": "text", "content": "Be kind."}]),
            "gen_ai.input.messages": json.dumps(messages),
            "gen_ai.output.messages": json.dumps(output),
        })
    )  # fmt: skip
    assert record["endpoint"] == "messages" and record["provider"] == "anthropic"
    assert record["request"] == {
        "model": "claude-haiku-4-5", "system": "Be kind.", "max_tokens": 200,
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "tu_1", "name": "weather",
                                               "input": {"city": "Paris"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu_1",
                                          "content": "21C"}]},
        ],
    }  # fmt: skip
    assert record["response"]["usage"] == {
        "input_tokens": 100, "output_tokens": 20,
        "cache_read_input_tokens": 600, "cache_creation_input_tokens": 300,
    }  # fmt: skip
    assert (record["system_prompt"], record["output_text"]) == ("Be kind.", "It is 21C.")
    assert record["finish_reason"] == "stop"
    assert (record["input_tokens"], record["cache_read_tokens"], record["cache_write_tokens"]) == (
        1000, 600, 300,
    )  # fmt: skip
    assert record["cost_usd"] > 0


def test_the_older_conventions_span_events_and_gen_ai_system_are_read() -> None:
    proto = span(1, {"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o-mini",
                     "gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 3})  # fmt: skip
    for name, attributes in (
        ("gen_ai.system.message", {"content": "Be brief."}),
        ("gen_ai.user.message", {"content": "Hi"}),
        ("gen_ai.choice", {"index": 0, "finish_reason": "stop",
                           "message": {"role": "assistant", "content": "Hello"}}),
    ):  # fmt: skip
        event = proto.events.add(name=name, time_unix_nano=proto.start_time_unix_nano)
        for key, value in attributes.items():
            wire.any_value(value, event.attributes.add(key=key).value)
    record = record_of(proto)
    assert record["provider"] == "openai"
    assert record["request"]["messages"] == [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}
    ]  # fmt: skip
    assert (record["system_prompt"], record["output_text"]) == ("Be brief.", "Hello")


@pytest.mark.parametrize(
    ("reported", "status", "expected"),
    [
        ("openai.RateLimitError", None, "rate_limit"),
        ("<class 'anthropic.OverloadedError'>", None, "overloaded"),
        ("APITimeoutError", None, "timeout"),
        ("httpx.ConnectError", None, "connection"),
        ("504", None, "timeout"),
        ("_OTHER", 401, "authentication"),
        ("_OTHER", None, "other"),
        ("quota", None, "quota"),  # (llmlog's own word, as llmlog export sends it)
    ],
)
def test_error_type_becomes_capture_vocabulary(
    reported: str, status: int | None, expected: str
) -> None:
    failure = error_types.from_otel(reported, status, "it failed")
    assert (failure.error_type, failure.message) == (expected, "it failed")
    assert failure.provider_error == ({} if reported == expected else {"type": reported})


def test_user_id_and_context_columns_come_from_span_then_resource() -> None:
    record = record_of(
        span(1, {**CHAT, "user.id": "u-9", "llmlog.feature": "checkout"}),
        {"llmlog.feature": "shop", "llmlog.tenant_id": "acme", "llmlog.prompt_version": "v2"},
    )
    assert (record["feature"], record["tenant_id"], record["prompt_version"]) == (
        "checkout", "acme", "v2",
    )  # fmt: skip
    assert record["user_id"] == "u-9"


def test_a_span_gets_a_stable_uuid7_of_its_start_and_ids() -> None:
    start = time.time_ns() - 1_000_000_000
    ids = {record_of(span(7, CHAT, start_ns=start))["id"] for _ in range(3)}
    [call_id] = ids
    assert is_v7(call_id) and id_time(call_id).timestamp() == start // 1_000_000 / 1000
    assert record_of(span(8, CHAT, start_ns=start))["id"] != call_id
    other_trace = bytes(reversed(TRACE))
    assert record_of(span(7, CHAT, start_ns=start, trace=other_trace))["id"] != call_id


def test_stable_ids_keep_their_millisecond_and_spread_the_rest() -> None:
    made = {stable_id(1_765_000_000_000, uuid.uuid4().bytes) for _ in range(2000)}
    assert len(made) == 2000 and all(is_v7(i) for i in made)
    assert {id_time(i).timestamp() for i in made} == {1_765_000_000.0}


def test_privacy_settings_apply_as_in_capture(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMLOG_REDACT_PII", "1")
    monkeypatch.setenv("LLMLOG_CONTENT_MODES", "secret=metadata")
    settings.reset()
    try:
        said = {**CHAT, "gen_ai.output.messages": json.dumps([{
            "role": "assistant", "finish_reason": "stop",
            "parts": [{"type": "text", "content": "Write to jane.doe@example.com"}],
        }])}  # fmt: skip
        redacted = record_of(span(1, said))
        assert "jane.doe@example.com" not in redacted["output_text"]
        assert "jane.doe@example.com" not in json.dumps(redacted["response"])
        hidden = record_of(span(2, {**said, "llmlog.feature": "secret"}))
        assert hidden.get("output_text") is None and hidden.get("system_prompt") is None
        assert "messages" not in hidden["request"]
        assert hidden["metadata"]["content_mode"] == "metadata"
        assert hidden["input_tokens"] == 120  # (usage is kept)
    finally:
        settings.reset()
