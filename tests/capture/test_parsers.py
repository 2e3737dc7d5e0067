"""Provider parsers on their own: cut-off streams, stream errors, several choices."""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest

from llmlog.capture.error_types import Failure
from llmlog.capture.parsers import anthropic_messages, openai_chat, openai_responses
from llmlog.capture.sse import json_events


def sse(*events: tuple[str | None, Any]) -> str:
    parts = []
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data)
        parts.append((f"event: {name}\n" if name else "") + f"data: {text}\n\n")
    return "".join(parts)


def test_chat_stream_with_two_choices_and_logprobs() -> None:
    def chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> Any:
        choice = {"index": index, "delta": delta, "finish_reason": finish,
                  "logprobs": {"content": [{"token": "x"}]}}  # fmt: skip
        return (None, {"id": "c", "model": "m", "choices": [choice]})

    body = openai_chat.reassemble(
        sse(
            chunk(0, {"content": "a"}),
            chunk(1, {"content": "b"}),
            chunk(0, {"content": "c"}, "stop"),
            chunk(1, {}, "length"),
            (None, "[DONE]"),
        )
    )
    assert [c["message"]["content"] for c in body["choices"]] == ["ac", "b"]
    assert [c["finish_reason"] for c in body["choices"]] == ["stop", "length"]
    assert len(body["choices"][0]["logprobs"]["content"]) == 2
    assert openai_chat.normalise({}, body).finish_reason == "stop"


def test_chat_stream_head_keys_are_the_last_values_given() -> None:
    """Each of id, model, usage... is the last value a chunk gave that is not null; an
    error event's fields are not the body's."""
    delta = [{"index": 0, "delta": {"content": "x"}, "finish_reason": None}]
    body = openai_chat.reassemble(
        sse(
            (None, {"id": "a", "model": "m1", "usage": None, "choices": delta}),
            (None, {"id": "b", "model": None, "created": 0, "choices": delta}),
            (None, {"id": "zzz", "model": "wrong", "error": {"message": "overloaded"}}),
            (None, {"id": "b", "usage": {"prompt_tokens": 3}, "choices": []}),
        )
    )
    assert (body["id"], body["model"], body["created"]) == ("b", "m1", 0)
    assert body["usage"] == {"prompt_tokens": 3}
    assert body["error"] == {"message": "overloaded"}
    assert "system_fingerprint" not in body
    assert body["choices"][0]["message"]["content"] == "xx"


def test_stream_lines_end_only_at_newlines() -> None:
    """JSON may carry U+2028, U+0085 and form feeds unescaped: they are text, not line
    ends; CR LF and lone CR end lines as LF does."""
    text = "one\u2028two\x85three\x0cfour"
    chunk = {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"content": text}}]}
    wire = f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
    for body in (wire, wire.replace("\n", "\r\n"), wire.replace("\n", "\r")):
        assert openai_chat.reassemble(body)["choices"][0]["message"]["content"] == text


A, B = {"a": 1}, {"b": [2, "x\\n"]}


@pytest.mark.parametrize(
    ("body", "events"),
    [
        (sse((None, A), (None, B), (None, "[DONE]")), [A, B]),
        (sse(("one", A), ("two", B)), [A, B]),
        (sse(("one", {"t": "event: x"}), (None, B)), [{"t": "event: x"}, B]),
        (sse((None, A), ("two", B)), [A, B]),
        (sse((None, A), (None, B)).replace("\n", "\r\n"), [A, B]),
        (sse((None, A), (None, B))[:-9], [A]),  # cut off mid-event
        (sse((None, A), (None, "{oops"), (None, B)), [A, B]),  # one broken event
        (sse((None, "3"), (None, A), (None, '"x"'), (None, "[1]")), [A]),  # not objects
        (sse((None, A), (None, "[DONE]"), (None, B)), [A, B]),
        (sse((None, A), (None, '{"c": 3}, {"d": 4}'), (None, B)), [A, B]),  # two values
        (sse((None, A)) + ": keep-alive\n\n" + sse((None, B)), [A, B]),  # a comment
        ('data: {"a":\ndata: 1}\n\n' + sse((None, B)), [A, B]),  # data on two lines
        (sse((None, A)).replace("data: ", "data:") + sse((None, B)), [A, B]),
        ("id: 7\n" + sse((None, A)), [A]),
        ("", []),
    ],
)
def test_stream_events_read_in_one_go_or_one_by_one(body: str, events: list[Any]) -> None:
    """The usual stream is read with one JSON read, anything else one event at a time:
    either way the same events come out."""
    assert list(json_events(body)) == events


def test_a_long_stream_is_read_without_waking_the_garbage_collector() -> None:
    """Its events are let go of as they are read: reading a whole stream at once kept
    them all alive, so the collector ran (and moved them all to older generations, whose
    full collections walk the application's whole heap) during every long stream."""
    delta = {"index": 0, "delta": {"content": "abc"}, "logprobs": None, "finish_reason": None}
    body = sse(*[(None, {"id": "c", "model": "m", "choices": [delta]})] * 2000)
    runs: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            runs.append(info["generation"])

    gc.collect()
    gc.callbacks.append(count)
    try:
        reassembled = openai_chat.reassemble(body)
    finally:
        gc.callbacks.remove(count)
    assert reassembled["choices"][0]["message"]["content"] == "abc" * 2000
    assert len(runs) <= 1  # (one to spare for another thread's allocations)


def test_responses_stream_cut_off_keeps_what_arrived() -> None:
    created = {"id": "r", "model": "m", "status": "in_progress", "output": []}
    body = openai_responses.reassemble(
        sse(
            ("response.created", {"type": "response.created", "response": created}),
            (
                "response.output_item.added",
                {
                    "type": "response.output_item.added",
                    "output_index": 0,
                    "item": {"type": "message", "content": []},
                },
            ),
            (
                "response.output_text.delta",
                {
                    "type": "response.output_text.delta",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": "Hel",
                },
            ),
            (
                "response.output_text.delta",
                {
                    "type": "response.output_text.delta",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": "lo",
                },
            ),
        )
    )
    assert body["status"] == "in_progress"
    parsed = openai_responses.normalise({"instructions": "sys"}, body)
    assert (parsed.output_text, parsed.finish_reason, parsed.system_prompt) == (
        "Hello",
        None,
        "sys",
    )
    assert not openai_responses.finished("")


def test_responses_incomplete_and_failed() -> None:
    incomplete = {"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}}
    assert openai_responses.normalise({}, incomplete).finish_reason == "length"
    failed = {"status": "failed", "error": {"code": "server_error", "message": "boom"}}
    parsed = openai_responses.normalise({}, failed)
    assert parsed.finish_reason == "error"
    assert parsed.failure == Failure("server_error", "boom", {"code": "server_error"})


@pytest.mark.parametrize(
    ("event", "said"),
    [  # the event as the SDK types it (code, message, param), and with a nested error
        ({"type": "error", "code": "rate_limit_exceeded", "message": "slow", "param": None},
         {"code": "rate_limit_exceeded"}),
        ({"type": "error", "code": None, "message": "slow", "param": None}, {}),
        ({"type": "error", "error": {"type": "tokens", "code": "rate_limit_exceeded",
                                     "message": "slow"}},
         {"type": "tokens", "code": "rate_limit_exceeded"}),
    ],
)  # fmt: skip
def test_a_responses_stream_error_event_keeps_the_providers_words(
    event: dict[str, Any], said: dict[str, str]
) -> None:
    """The event's own ``type`` is "error": never taken for the error's type or code."""
    created = {"type": "response.created", "response": {"id": "r", "status": "in_progress"}}
    body = openai_responses.reassemble(sse(("response.created", created), ("error", event)))
    parsed = openai_responses.normalise({}, body)
    assert parsed.finish_reason == "error"
    assert parsed.failure == Failure("rate_limit" if said else "other", "slow", said)


def test_anthropic_stream_error_event_and_thinking() -> None:
    start = {"type": "message_start", "message": {"id": "m", "model": "c", "content": [],
             "usage": {"input_tokens": 5, "output_tokens": 1}}}  # fmt: skip
    body = anthropic_messages.reassemble(
        sse(
            ("message_start", start),
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "thinking", "thinking": ""},
                },
            ),
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "thinking_delta", "thinking": "hmm"},
                },
            ),
            ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}),
        )
    )
    assert body["content"] == [{"type": "thinking", "thinking": "hmm"}]
    parsed = anthropic_messages.normalise({"system": [{"type": "text", "text": "S"}]}, body)
    assert (parsed.finish_reason, parsed.system_prompt) == ("error", "S")
    assert parsed.failure == Failure("overloaded", "busy", {"type": "overloaded_error"})
    assert parsed.input_tokens == 5 and parsed.output_text is None


def test_a_chat_stream_that_ends_in_an_error_chunk_is_a_failed_call() -> None:
    """OpenAI ends a chat stream that fails after its 200 with an ``error`` chunk."""
    head = {"id": "c", "object": "chat.completion.chunk", "model": "m"}
    choice = {"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}
    error = {"message": "The server had an error", "type": "server_error", "code": None}
    body = openai_chat.reassemble(
        sse((None, {**head, "choices": [choice]}), (None, {"error": error}))
    )
    parsed = openai_chat.normalise({}, body)
    assert (parsed.output_text, parsed.finish_reason) == ("Hel", "error")
    assert parsed.failure == Failure(
        "server_error", "The server had an error", {"type": "server_error"}
    )


def test_anthropic_tool_arguments_cut_off_mid_json() -> None:
    body = anthropic_messages.reassemble(
        sse(
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}},
                },
            ),
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "input_json_delta", "partial_json": '{"city": "Pa'},
                },
            ),
        )
    )
    parsed = anthropic_messages.normalise({}, body)
    assert parsed.tool_calls == [
        {"id": "t", "name": "f", "arguments": '{"city": "Pa', "run_by": "client"}
    ]


def test_every_mapped_finish_reason_is_in_the_vocabulary() -> None:
    from llmlog.capture.parsers import FINISH_REASONS

    mapped = {
        *openai_chat.FINISH.values(),
        *openai_responses.INCOMPLETE.values(),
        *anthropic_messages.FINISH.values(),
    }
    assert mapped <= set(FINISH_REASONS)
    assert FINISH_REASONS == (
        "stop", "length", "tool_calls", "content_filter", "refusal", "error", "other",
    )  # fmt: skip


def test_a_response_whose_tools_all_ran_at_the_provider_ends_stop() -> None:
    body = {
        "status": "completed",
        "output": [
            {"type": "web_search_call", "id": "ws_1", "status": "completed"},
            {"type": "message", "content": [{"type": "output_text", "text": "Sunny."}]},
        ],
    }
    parsed = openai_responses.normalise({}, body)
    assert parsed.tool_calls == [
        {"id": "ws_1", "name": "web_search", "arguments": None, "run_by": "provider"}
    ]
    assert (parsed.finish_reason, parsed.output_text) == ("stop", "Sunny.")
