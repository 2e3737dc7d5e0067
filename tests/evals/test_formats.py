"""Every eval format, written from stored calls and read back by its consumer: Inspect AI's
json_dataset, the Langfuse SDK's dataset-item request, the OpenAI SDK's message types, and
the published field lists of Braintrust and promptfoo."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from llmlog.evals import formats
from llmlog.evals.pairs import preference_pairs
from llmlog.ids import new_id
from llmlog.reports.run import run, tune_session
from llmlog.store.batch import BatchWriter
from llmlog.store.records import Record
from tests.reports.conftest import NOW, call

PNG = "iVBORw0KGgo="
WEATHER_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}}
UNTRUSTED = "[red]boom[/red] \x1b[2J\x07bell \u2028 line\ttab \u202e"


def format_calls() -> dict[str, Record]:
    chat_tools = [
        {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_SCHEMA}}
    ]
    original = call(
        NOW,
        feature="chat",
        question="Capital of France?",
        output_text="Lyon",
        feedback=-1,
        cost_usd=Decimal("0.002"),
    )
    return {
        "anthropic": call(
            NOW, provider="anthropic", endpoint="messages", model="claude-haiku",
            feature="weather", system_prompt="You are terse.", output_text="It is 18C.",
            feedback=1,
            request={
                "model": "claude-haiku", "max_tokens": 100, "system": "You are terse.",
                "tools": [{"name": "get_weather", "description": "Weather now",
                           "input_schema": WEATHER_SCHEMA}],
                "messages": [
                    {"role": "user", "content": [
                        {"type": "text", "text": "Weather in Paris?"},
                        {"type": "image", "source": {"type": "base64",
                                                     "media_type": "image/png", "data": PNG}}]},
                    {"role": "assistant", "content": [
                        {"type": "text", "text": "Let me check."},
                        {"type": "tool_use", "id": "toolu_1", "name": "get_weather",
                         "input": {"city": "Paris"}}]},
                    {"role": "user", "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"}]},
                ],
            },
        ),
        "responses": call(
            NOW, endpoint="responses", feature="lookup", output_text="Found it.",
            request={
                "model": "gpt-4o-mini", "instructions": "Be brief.",
                "tools": [{"type": "function", "name": "lookup", "parameters": WEATHER_SCHEMA}],
                "input": [
                    {"role": "user", "content": [{"type": "input_text", "text": "Find Bern"}]},
                    {"type": "function_call", "call_id": "c1", "name": "lookup",
                     "arguments": '{"city": "Bern"}'},
                    {"type": "function_call_output", "call_id": "c1", "output": "Bern, CH"},
                ],
            },
        ),
        "tool_call": call(
            NOW, feature="chat", question="Weather in Rome?", output_text=None,
            finish_reason="tool_calls",
            tool_calls=[{"id": "call_1", "name": "get_weather", "arguments": '{"city":"Rome"}'}],
            request={"model": "gpt-4o-mini", "tools": chat_tools, "parallel_tool_calls": False,
                     "temperature": 0.2,
                     "messages": [{"role": "user", "content": "Weather in Rome?"}]},
        ),
        "untrusted": call(NOW, feature="chat", question=UNTRUSTED, output_text=UNTRUSTED,
                          user_id="ann@example.com"),
        "original": original,
        "replay": call(NOW, feature="chat", question="Capital of France?", output_text="Paris",
                       feedback=1, replay_of=original["id"], trace_id=str(new_id(NOW))),
    }  # fmt: skip


@pytest.fixture
def stored(store: psycopg.Connection) -> dict[str, dict[str, Any]]:
    """The format calls as sample-evals reads them, each with reasons."""
    records = format_calls()
    BatchWriter(store).write(list(records.values()))
    tune_session(store)
    stamps = [r["ts"] for r in records.values()]
    ids = [str(r["id"]) for r in records.values()]
    rows = run(
        store, "sample_evals_calls", {"ids": ids, "lo_ts": min(stamps), "hi_ts": max(stamps)}
    )
    by_id = {str(row["id"]): row for row in rows}
    out = {}
    for name, record in records.items():
        row = by_id[str(record["id"])]
        row["reasons"] = ["thumbs_down"] if record.get("feedback") == -1 else ["random"]
        out[name] = row
    return out


def parsed(fmt: str, calls: list[dict[str, Any]], **kw: Any) -> list[dict[str, Any]]:
    lines = formats.lines(calls, fmt, **kw)
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    return [json.loads(line) for line in lines]


def test_llmlog_format_carries_the_call_exactly(stored: dict[str, dict[str, Any]]) -> None:
    [line] = parsed("llmlog", [stored["tool_call"]])
    assert line["id"] == str(stored["tool_call"]["id"])
    assert line["input"]["messages"] == [{"role": "user", "content": "Weather in Rome?"}]
    assert line["input"]["params"] == {
        "model": "gpt-4o-mini", "parallel_tool_calls": False, "temperature": 0.2,
    }  # fmt: skip
    assert line["output"] == {
        "text": None,
        "tool_calls": [{"id": "call_1", "name": "get_weather", "arguments": '{"city":"Rome"}'}],
        "finish_reason": "tool_calls",
    }
    assert line["reasons"] == ["random"] and line["feedback"] is None
    assert set(line["metadata"]) == {
        "feature", "tenant_id", "user_id", "model", "provider", "prompt_version", "cost_usd",
        "latency_ms", "ts", "trace_id",
    }  # fmt: skip


def test_stored_text_is_exported_exactly_with_controls_escaped(
    stored: dict[str, dict[str, Any]],
) -> None:
    [raw] = formats.lines([stored["untrusted"]], "llmlog")
    assert "\x1b" not in raw and "\u2028" not in raw and "\\u2028" in raw
    line = json.loads(raw)
    assert line["output"]["text"] == UNTRUSTED
    assert line["input"]["messages"][1]["content"] == UNTRUSTED


def test_redact_replaces_pii_in_the_text_but_not_the_ids(
    stored: dict[str, dict[str, Any]],
) -> None:
    call = {**stored["untrusted"], "output_text": "mail ann@example.com or +41 44 668 18 00"}
    [line] = parsed("llmlog", [call], redact=True)
    assert line["output"]["text"] == "mail [EMAIL] or [PHONE]"
    assert line["id"] == str(call["id"])


def chat_adapter() -> Any:
    from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam
    from pydantic import TypeAdapter

    return TypeAdapter(list[ChatCompletionMessageParam]), TypeAdapter(list[ChatCompletionToolParam])


def test_openai_chat_lines_are_valid_sdk_messages_with_the_answer_last(
    stored: dict[str, dict[str, Any]],
) -> None:
    messages, tools = chat_adapter()
    lines = {name: parsed("openai-chat", [call])[0] for name, call in stored.items()}
    for line in lines.values():
        messages.validate_python(line["messages"])
        tools.validate_python(line.get("tools", []))
        assert line["messages"][-1]["role"] == "assistant"
    anthropic = lines["anthropic"]["messages"]
    assert [m["role"] for m in anthropic] == ["system", "user", "assistant", "tool", "assistant"]
    assert anthropic[1]["content"][1] == {
        "type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"},
    }  # fmt: skip
    assert anthropic[2]["tool_calls"][0]["function"] == {
        "name": "get_weather", "arguments": '{"city": "Paris"}',
    }  # fmt: skip
    assert anthropic[3] == {"role": "tool", "tool_call_id": "toolu_1", "content": "18C"}
    assert lines["anthropic"]["tools"][0]["function"]["parameters"] == WEATHER_SCHEMA
    responses = lines["responses"]["messages"]
    assert [m["role"] for m in responses] == ["system", "user", "assistant", "tool", "assistant"]
    tool_call = lines["tool_call"]
    assert tool_call["parallel_tool_calls"] is False
    assert tool_call["messages"][-1]["tool_calls"][0]["function"]["name"] == "get_weather"


def test_inspect_samples_load_with_json_dataset(
    stored: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    from inspect_ai.dataset import json_dataset
    from inspect_ai.model import ChatMessageAssistant, ChatMessageTool

    path = tmp_path / "evals.jsonl"
    path.write_text("".join(formats.lines(list(stored.values()), "inspect")), encoding="utf-8")
    samples = {sample.id: sample for sample in json_dataset(str(path))}
    assert set(samples) == {str(row["id"]) for row in stored.values()}
    anthropic = samples[str(stored["anthropic"]["id"])]
    assert anthropic.target == "It is 18C."  # positive feedback: the answer is the target
    assert isinstance(anthropic.input[2], ChatMessageAssistant)
    assert anthropic.input[2].tool_calls[0].arguments == {"city": "Paris"}
    assert isinstance(anthropic.input[3], ChatMessageTool)
    assert anthropic.input[3].function == "get_weather"
    assert samples[str(stored["tool_call"]["id"])].target == ""  # left for the reviewer
    assert samples[str(stored["untrusted"]["id"])].input[1].content == UNTRUSTED
    assert anthropic.metadata["reasons"] == ["random"]


def test_langfuse_items_are_valid_dataset_item_requests(
    stored: dict[str, dict[str, Any]],
) -> None:
    from langfuse.api import CreateDatasetItemRequest

    for row in stored.values():
        [line] = parsed("langfuse", [row])
        item = CreateDatasetItemRequest(dataset_name="evals", **line)
        assert not item.model_extra  # every field is one Langfuse knows
        assert item.source_trace_id == row["trace_id"]
        assert item.source_observation_id == item.id == str(row["id"])
    [approved] = parsed("langfuse", [stored["anthropic"]])
    assert approved["expected_output"] == "It is 18C."
    assert parsed("langfuse", [stored["original"]])[0]["expected_output"] is None


BRAINTRUST_FIELDS = {"id", "input", "expected", "metadata", "tags"}  # Dataset.insert()
# promptfoo 0.123.1's TestCaseSchema (dist/src/tables-*.js): its fields, and VarsSchema's
# rule that every var is a string, number, boolean or object, never null. (promptfoo itself
# needs Node 22; this machine has Node 20.)
PROMPTFOO_FIELDS = {
    "description", "vars", "provider", "providers", "prompts", "providerOutput", "assert",
    "assertScoringFunction", "options", "threshold", "metadata",
}  # fmt: skip


def test_braintrust_records_are_valid_dataset_events(
    stored: dict[str, dict[str, Any]],
) -> None:
    from braintrust_api.types.shared import InsertDatasetEvent

    known = {f.alias or name for name, f in InsertDatasetEvent.model_fields.items()}
    for line in parsed("braintrust", list(stored.values())):
        assert set(line) == BRAINTRUST_FIELDS and set(line) <= known  # (its model allows extras)
        event = InsertDatasetEvent.model_validate(line)
        assert (event.id, event.input, event.expected) == (
            line["id"],
            line["input"],
            line["expected"],
        )
        assert isinstance(line["tags"], list) and all(isinstance(t, str) for t in line["tags"])
        assert isinstance(line["metadata"], dict)
    [approved] = parsed("braintrust", [stored["anthropic"]])
    assert approved["expected"] == "It is 18C." and approved["tags"] == ["random"]


def test_promptfoo_tests_have_the_published_fields(stored: dict[str, dict[str, Any]]) -> None:
    for line in parsed("promptfoo", list(stored.values())):
        assert set(line) <= PROMPTFOO_FIELDS and isinstance(line["description"], str)
        assert all(
            isinstance(v, str | int | float | bool | dict | list) for v in line["vars"].values()
        )
        assert all(isinstance(a.get("type"), str) for a in line["assert"])
        assert isinstance(line["metadata"], dict)
    [approved] = parsed("promptfoo", [stored["anthropic"]])
    assert approved["assert"] == [{"type": "equals", "value": "It is 18C."}]
    assert approved["vars"]["input"] == "Weather in Paris?"
    assert parsed("promptfoo", [stored["original"]])[0]["assert"] == []


def test_openai_preference_pairs_a_call_with_its_better_replay(
    stored: dict[str, dict[str, Any]], store: psycopg.Connection
) -> None:
    messages, _ = chat_adapter()
    pairs = preference_pairs(store, [stored["original"]])
    [line] = [json.loads(text) for text in formats.preference_lines(pairs)]
    assert line["preferred_output"] == [{"role": "assistant", "content": "Paris"}]
    assert line["non_preferred_output"] == [{"role": "assistant", "content": "Lyon"}]
    messages.validate_python(line["input"]["messages"])
    assert line["input"]["messages"][-1] == {"role": "user", "content": "Capital of France?"}
    ids = [tuple(row["id"] for row in pair) for pair in pairs]
    from_replay = preference_pairs(store, [stored["replay"]])  # found from either side
    assert [tuple(row["id"] for row in pair) for pair in from_replay] == ids
    assert preference_pairs(store, [stored["responses"]]) == []
