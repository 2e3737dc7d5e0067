"""A call's conversation in Chat Completions form: replay's conversion, never an error."""

from __future__ import annotations

from llmlog.evals import chat


def test_an_anthropic_call_converts_system_tools_and_tool_results() -> None:
    call = {
        "endpoint": "messages",
        "request": {
            "system": "Be brief.",
            "tools": [{"name": "lookup", "input_schema": {"type": "object"}}],
            "messages": [
                {"role": "user", "content": "Order 7?"},
                {"role": "assistant", "content": [
                    {"type": "tool_use", "id": "tu_1", "name": "lookup", "input": {"n": 7}}]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "tu_1", "content": "shipped"}]},
            ],
        },
    }  # fmt: skip
    shown = chat.messages(call)
    assert [m["role"] for m in shown] == ["system", "user", "assistant", "tool"]
    assert shown[2]["tool_calls"][0]["function"] == {"name": "lookup", "arguments": '{"n": 7}'}
    assert shown[3] == {"role": "tool", "tool_call_id": "tu_1", "content": "shipped"}
    assert chat.tools(call)[0]["function"]["name"] == "lookup"


def test_a_body_too_malformed_to_convert_gives_no_messages() -> None:
    for request in ({"messages": ["not a message"]}, {"input": [5]}):
        for endpoint in ("messages", "responses"):
            assert chat.messages({"endpoint": endpoint, "request": request}) == []
