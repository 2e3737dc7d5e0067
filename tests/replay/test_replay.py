"""Replays through the real SDKs to the stub: what is sent, what is stored, what is compared."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

import llmlog
from llmlog.errors import ConfigError, NotFoundError, ProviderError, UsageError
from llmlog.replay import Options, Overrides, Request, load, plan, replay
from llmlog.replay.send import send
from llmlog.reports.calls import show
from tests.capture.conftest import openai_client, rows
from tests.replay.conftest import Made, sent
from tests.stub_provider import StubServer

WEATHER = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
CHAT_TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}}]


HI_CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
FULL_CHAT = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "system", "content": "Be brief."},
                 {"role": "user", "content": "Weather in Paris?"}],
    "tools": CHAT_TOOLS,
    "tool_choice": "auto",
    "response_format": {"type": "json_object"},
    "stop": ["END"],
    "seed": 7,
    "temperature": 0.3,
    "stream": True,
    "stream_options": {"include_usage": True},
}  # fmt: skip


def test_a_same_provider_replay_sends_exactly_the_stored_body(
    made: Made, provider_env: StubServer
) -> None:
    original = made(**FULL_CHAT)
    replay(original, Overrides(), Options(save=False))
    path, body = sent(provider_env)
    assert path == "/v1/chat/completions"
    assert body == original["request"] == FULL_CHAT


@pytest.mark.parametrize(
    ("provider", "endpoint", "body"),
    [
        ("anthropic", "messages", {"model": "claude-sonnet-4-5", "max_tokens": 50, "system": "S",
                                   "messages": [{"role": "user", "content": "hi"}],
                                   "stop_sequences": ["X"], "stream": True}),
        ("openai", "responses", {"model": "gpt-4o-mini", "instructions": "S", "input": "hi",
                                 "text": {"format": {"type": "json_object"}}, "store": False}),
    ],
)  # fmt: skip
def test_same_provider_replay_of_messages_and_responses_sends_the_stored_body(
    made: Made, provider_env: StubServer, provider: str, endpoint: str, body: dict[str, Any]
) -> None:
    original = made(provider, endpoint, **body)
    replay(original, Overrides(), Options(save=False))
    assert sent(provider_env)[1] == original["request"] == body


@pytest.mark.parametrize(
    ("overrides", "changes"),
    [
        (Overrides(model="gpt-4.1"), {"model": "gpt-4.1"}),
        (Overrides(temperature=0.9), {"temperature": 0.9}),
        (Overrides(max_tokens=77), {"max_completion_tokens": 77}),
        (Overrides(params={"seed": 8, "stop": None, "top_p": 0.5}), {"seed": 8, "top_p": 0.5}),
        (Overrides(system="Be long."), {"messages": [{"role": "system", "content": "Be long."},
                                                     FULL_CHAT["messages"][1]]}),
        (Overrides(prompt="And Rome?"), {"messages": [FULL_CHAT["messages"][0],
                                                      {"role": "user", "content": "And Rome?"}]}),
    ],
)  # fmt: skip
def test_each_override_changes_only_its_own_part_of_the_body(
    made: Made, provider_env: StubServer, overrides: Overrides, changes: dict[str, Any]
) -> None:
    original = made(**FULL_CHAT)
    replay(original, overrides, Options(save=False))
    expected = {k: v for k, v in {**FULL_CHAT, **changes}.items() if k != "stop"}
    if "stop" not in (overrides.params or {}):
        expected["stop"] = FULL_CHAT["stop"]
    assert sent(provider_env)[1] == expected


def test_a_system_override_reaches_each_endpoint_where_it_belongs(
    made: Made, provider_env: StubServer
) -> None:
    claude = made("anthropic", model="claude-sonnet-4-5", max_tokens=9,
                  messages=[{"role": "user", "content": "hi"}])  # fmt: skip
    replay(claude, Overrides(system="New.", max_tokens=20), Options(save=False))
    assert sent(provider_env)[1] == {**claude["request"], "system": "New.", "max_tokens": 20}
    provider_env.requests.clear()
    responses = made("openai", "responses", model="gpt-4o-mini", input="hi")
    replay(responses, Overrides(system="New.", max_tokens=20), Options(save=False))
    body = sent(provider_env)[1]
    assert body == {**responses["request"], "instructions": "New.", "max_output_tokens": 20}


TOOL_CHAT = {
    "model": "gpt-4o-mini",
    "messages": [
        {"role": "system", "content": "You are a weather bot."},
        {"role": "user", "content": [
            {"type": "text", "text": "Weather here?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        ]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C, sunny"},
    ],
    "tools": CHAT_TOOLS,
    "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    "max_completion_tokens": 300,
    "temperature": 1.5,
    "seed": 3,
}  # fmt: skip


def test_chat_to_anthropic_converts_system_images_tools_calls_and_results(
    made: Made, provider_env: StubServer
) -> None:
    original = made(**TOOL_CHAT)
    model = "claude-sonnet-4-5"
    report = replay(original, Overrides(provider="anthropic", model=model), Options(save=False))
    path, body = sent(provider_env)
    assert path == "/v1/messages"
    assert body == {
        "model": model,
        "system": "You are a weather bot.",
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "Weather here?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                             "data": "iVBORw0KGgo="}}]},
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "call_1", "name": "get_weather",
                 "input": {"city": "Paris"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "18C, sunny"}]},
        ],
        "max_tokens": 300,
        "temperature": 1,
        "tools": [{"name": "get_weather", "input_schema": WEATHER}],
        "tool_choice": {"type": "tool", "name": "get_weather"},
    }  # fmt: skip
    assert report.request.warnings == (
        "temperature 1.5: Anthropic's maximum is 1, sent as 1",
        "seed: no counterpart in Anthropic Messages, left out",
    )
    # (the stub answers a message mentioning a tool with a tool call of its own)
    assert [c["name"] for c in report.replays[0].tool_calls] == ["get_weather"]


CLAUDE_TOOLS = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 200,
    "system": [{"type": "text", "text": "Weather bot.", "cache_control": {"type": "ephemeral"}}],
    "messages": [
        {"role": "user", "content": [
            {"type": "text", "text": "Weather in Paris?"},
            {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}]},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather",
             "input": {"city": "Paris"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"},
            {"type": "text", "text": "Thanks"}]},
    ],
    "tools": [{"name": "get_weather", "description": "Weather", "input_schema": WEATHER}],
    "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
    "service_tier": "auto",
    "stream": True,
}  # fmt: skip


def test_anthropic_to_openai_converts_system_images_tools_calls_and_results(
    made: Made, provider_env: StubServer
) -> None:
    original = made("anthropic", **CLAUDE_TOOLS)
    report = replay(
        original, Overrides(provider="openai", model="gpt-4o-mini"), Options(save=False)
    )
    path, body = sent(provider_env)
    assert path == "/v1/chat/completions"
    assert body == {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Weather bot."},
            {"role": "user", "content": [
                {"type": "text", "text": "Weather in Paris?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]},
            {"role": "assistant", "content": "Let me check.", "tool_calls": [
                {"id": "toolu_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
            {"role": "tool", "tool_call_id": "toolu_1", "content": "18C"},
            {"role": "user", "content": "Thanks"},
        ],
        "max_completion_tokens": 200,
        "stream": True,
        "stream_options": {"include_usage": True},
        "tools": [{"type": "function", "function": {
            "name": "get_weather", "description": "Weather", "parameters": WEATHER}}],
        "tool_choice": "required",
        "parallel_tool_calls": False,
    }  # fmt: skip
    assert report.request.warnings == (
        "cache_control: no counterpart in OpenAI Chat Completions, left out",
        "service_tier: no counterpart in OpenAI Chat Completions, left out",
    )
    assert report.replays[0].output_tokens == 50  # the stream's usage came back


def test_responses_to_anthropic_converts_instructions_calls_and_outputs(
    made: Made, provider_env: StubServer
) -> None:
    body = {
        "model": "gpt-4o-mini",
        "instructions": "Weather bot.",
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "Paris?"}]},
            {"type": "function_call", "call_id": "call_9", "name": "get_weather",
             "arguments": '{"city":"Paris"}'},
            {"type": "function_call_output", "call_id": "call_9", "output": "18C"},
        ],
        "tools": [{"type": "function", "name": "get_weather", "parameters": WEATHER},
                  {"type": "web_search"}],
        "max_output_tokens": 100,
        "previous_response_id": "resp_0",
    }  # fmt: skip
    original = made("openai", "responses", **body)
    report = replay(original, Overrides(provider="anthropic", model="claude-haiku-4-5"),
                    Options(save=False))  # fmt: skip
    assert sent(provider_env)[1] == {
        "model": "claude-haiku-4-5",
        "system": "Weather bot.",
        "messages": [
            {"role": "user", "content": "Paris?"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "call_9",
                                               "name": "get_weather", "input": {"city": "Paris"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_9",
                                          "content": "18C"}]},
        ],
        "max_tokens": 100,
        "tools": [{"name": "get_weather", "input_schema": WEATHER}],
    }  # fmt: skip
    assert report.request.warnings == (
        "tool of type 'web_search': no counterpart in Anthropic Messages, left out",
        "previous_response_id: no counterpart in Anthropic Messages, left out",
    )


def test_a_dangling_tool_call_is_refused_before_anything_is_sent(
    made: Made, provider_env: StubServer
) -> None:
    dangling = {**TOOL_CHAT, "messages": TOOL_CHAT["messages"][:3]}
    original = made(**dangling)
    with pytest.raises(UsageError, match=r"tool call call_1 \(get_weather\) has no result"):
        replay(original, Overrides(), Options(save=False))
    with pytest.raises(UsageError, match="has no result"):
        plan(original, Overrides(provider="anthropic", model="claude-haiku-4-5"))
    assert provider_env.requests == []


def test_a_saved_replay_is_a_new_call_linked_back_with_the_originals_context(
    made: Made, store: psycopg.Connection
) -> None:
    original = made(**FULL_CHAT)
    report = replay(original, Overrides(model="gpt-4.1", temperature=0.0))
    assert report.stored
    new = report.replays[0].call_id
    (row,) = rows(store, "id = %s", new)
    assert row["replay_of"] == original["id"]
    same = ("tenant_id", "user_id", "feature", "trace_id")
    assert {k: row[k] for k in same} == {k: original[k] for k in same}
    assert row["metadata"]["replay"] == {
        "overrides": {"model": "gpt-4.1", "temperature": 0.0},
        "run": 1,
    }
    assert row["model"] == "gpt-4.1"
    assert [r["id"] for r in show(store, str(original["id"]))["replays"]] == [new]


def test_no_save_stores_nothing(made: Made, store: psycopg.Connection) -> None:
    original = made(**FULL_CHAT)
    report = replay(original, Overrides(model="gpt-4.1"), Options(save=False))
    assert report.replays[0].call_id is None
    assert [r["id"] for r in rows(store)] == [original["id"]]


def test_repeat_sends_replay_and_original_n_times_and_judges_against_the_noise_floor(
    made: Made, store: psycopg.Connection, provider_env: StubServer
) -> None:
    original = made(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    same = replay(original, Overrides(temperature=0.5), Options(repeat=3))
    assert (len(same.replays), len(same.baseline), same.noise.runs) == (3, 3, 3)
    assert same.noise.text_floor == 0.0 and not same.verdict.changed
    stored = rows(store, "replay_of = %s", original["id"])
    assert len(stored) == 6
    assert sum(bool(r["metadata"]["replay"].get("baseline")) for r in stored) == 3
    provider_env.requests.clear()
    changed = replay(original, Overrides(prompt="write an essay"), Options(repeat=2, save=False))
    assert changed.verdict.changed
    assert changed.verdict.reasons[0].startswith("text: ")
    assert changed.verdict.reasons[0].endswith("(noise floor 0.0%)")
    other_model = replay(original, Overrides(model="gpt-4.1"), Options(repeat=2, save=False))
    assert other_model.baseline == [] and other_model.noise is None


def test_dry_run_plans_the_request_and_estimates_its_cost_without_sending(
    made: Made, provider_env: StubServer
) -> None:
    original = made(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    planned = plan(original, Overrides(provider="anthropic", model="claude-sonnet-4-5"))
    assert planned.request.provider == "anthropic" and planned.request.endpoint == "messages"
    # 1,200 input and 50 output tokens at claude-sonnet-4-5's $3 / $15 per million
    assert planned.estimated_cost_usd == Decimal("0.00435")
    assert provider_env.requests == []


def test_a_call_without_its_content_cannot_be_replayed(
    made: Made, store: psycopg.Connection
) -> None:
    original = made(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    store.execute(
        "UPDATE llm_calls SET request = %s WHERE id = %s",
        (json.dumps({"model": "gpt-4o-mini"}), original["id"]),
    )
    stripped = load(store, str(original["id"]))
    with pytest.raises(NotFoundError, match="content was removed"):
        plan(stripped, Overrides())


def test_a_missing_key_names_the_variable_to_set(
    made: Made, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = made(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY is not set"):
        replay(original, Overrides(provider="anthropic", model="claude-haiku-4-5"))


def test_cross_provider_without_a_model_is_a_usage_error(made: Made) -> None:
    original = made(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(UsageError, match="needs the model"):
        plan(original, Overrides(provider="anthropic"))


def test_an_answer_that_is_not_a_json_object_is_a_provider_error(
    made: Made, provider_env: StubServer
) -> None:
    call = made(**HI_CHAT)
    provider_env.replies["odd"] = (200, "<html>not an API</html>", 0.0)
    client = openai_client(provider_env, default_headers={"x-stub-reply": "odd"})
    request = Request("openai", "chat.completions", call["request"])
    with pytest.raises(ProviderError, match="not a JSON object"):
        send(request, client, origin=call, metadata={}, save=False)


def test_a_replay_keeps_the_stored_user_id_when_capture_hashes_user_ids(
    made: Made, store: psycopg.Connection, store_url: str, tmp_path: Path
) -> None:
    llmlog.configure(database_url=store_url, spool_dir=tmp_path / "spool", user_id_key="k" * 16)
    original = made(**HI_CHAT)
    assert original["user_id"] not in (None, "u-7")  # stored hashed
    report = replay(original, Overrides())
    (row,) = rows(store, "id = %s", report.replays[0].call_id)
    assert row["user_id"] == original["user_id"]
