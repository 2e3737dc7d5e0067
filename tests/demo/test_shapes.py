"""Provider body shapes the demo renders: finish reasons, refusals, tool calls, usage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from llmlog.demo import shapes
from llmlog.demo.texts import ToolCall, Turn
from llmlog.demo.traffic import Traffic

CALL = ToolCall("call_abc123", "lookup_order", '{"order_id":"A-1"}', {"order_id": "A-1"})
USAGE = shapes.Usage(1000, 50, cache_read=600, cache_write=0, reasoning=20)


def render(endpoint: str, reply: shapes.Reply) -> dict[str, object]:
    return shapes.response(endpoint, "m-1", reply, USAGE, ident="f" * 24, created=1)


@pytest.mark.parametrize(
    ("finish", "chat", "messages", "responses_status"),
    [
        ("stop", "stop", "end_turn", "completed"),
        ("length", "length", "max_tokens", "incomplete"),
        ("tool_calls", "tool_calls", "tool_use", "completed"),
        ("refusal", "stop", "refusal", "completed"),
    ],
)
def test_finish_reasons_in_each_providers_words(
    finish: str, chat: str, messages: str, responses_status: str
) -> None:
    calls = (CALL,) if finish == "tool_calls" else ()
    reply = shapes.Reply("text", calls, finish)
    assert render("chat.completions", reply)["choices"][0]["finish_reason"] == chat  # type: ignore[index]
    assert render("messages", reply)["stop_reason"] == messages
    assert render("responses", reply)["status"] == responses_status


def test_a_chat_refusal_is_in_the_refusal_field_not_the_content() -> None:
    message = render("chat.completions", shapes.Reply("I can't help", (), "refusal"))
    assert message["choices"][0]["message"] == {  # type: ignore[index]
        "role": "assistant", "content": None, "refusal": "I can't help", "annotations": [],
    }  # fmt: skip


def test_tool_calls_keep_one_id_per_provider_in_body() -> None:
    reply = shapes.Reply(None, (CALL,), "tool_calls")
    block = render("messages", reply)["content"][0]  # type: ignore[index]
    assert block == {"type": "tool_use", "id": "toolu_01abc123", "name": "lookup_order",
                     "input": {"order_id": "A-1"}}  # fmt: skip
    item = render("responses", reply)["output"][-1]  # type: ignore[index]
    assert (item["type"], item["call_id"], item["arguments"]) == (
        "function_call", "call_abc123", '{"order_id":"A-1"}'
    )  # fmt: skip


def test_usage_shapes_count_cached_tokens_the_providers_way() -> None:
    assert shapes.usage("messages", USAGE)["input_tokens"] == 400  # uncached only
    assert shapes.usage("messages", USAGE)["cache_read_input_tokens"] == 600
    chat = shapes.usage("chat.completions", USAGE)
    assert chat["prompt_tokens"] == 1000  # includes the cached 600
    assert chat["prompt_tokens_details"]["cached_tokens"] == 600  # type: ignore[index]
    assert chat["completion_tokens_details"]["reasoning_tokens"] == 20  # type: ignore[index]
    assert shapes.usage("responses", USAGE)["input_tokens_details"] == {"cached_tokens": 600}


def test_requests_put_the_system_prompt_where_each_api_wants_it() -> None:
    turns = (Turn("user", "hi"),)
    params = shapes.Params(model="m", max_tokens=10, stream=True, cache_system=True)
    chat = shapes.request("chat.completions", params, system="sys", turns=turns, tools=())
    assert chat["messages"][0] == {"role": "system", "content": "sys"}
    assert chat["stream_options"] == {"include_usage": True}
    assert (
        shapes.request("responses", params, system="sys", turns=turns, tools=())["instructions"]
        == "sys"
    )
    system = shapes.request("messages", params, system="sys", turns=turns, tools=())["system"]
    assert system == [{"type": "text", "text": "sys", "cache_control": {"type": "ephemeral"}}]


def test_a_small_demo_runs_up_to_its_end() -> None:
    # A Sunday 01:23 UTC end: few calls were left for the last hours when the runaway
    # agent came due, and its 40 calls used them all, so 300 calls stopped 7 h early.
    end = datetime(2026, 12, 6, 1, 23, 38, tzinfo=UTC)
    records = list(Traffic(calls=300, days=2, seed=42, end=end))
    assert len(records) == 300
    assert end - max(r["ts"] for r in records) < timedelta(hours=1)
