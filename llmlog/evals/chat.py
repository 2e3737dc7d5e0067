"""A logged call's conversation as OpenAI Chat Completions messages and tools.

Chat Completions calls are taken as sent. Anthropic Messages and OpenAI Responses calls
are converted by replay's conversion (llmlog.replay.convert): system prompt, text,
images, tool definitions, tool calls and tool results carry over; parts with no Chat
counterpart (thinking, documents, server tools) are left out.
"""

from __future__ import annotations

import json
from typing import Any

from llmlog.replay import convert

Message = dict[str, Any]


def chat_request(call: dict[str, Any]) -> dict[str, Any]:
    """The call's request as a Chat Completions body: as sent, or converted by replay's
    conversion (what has no Chat counterpart is left out). A body too malformed to
    convert gives no messages rather than an error: an export never stops on one call."""
    request = call.get("request") if isinstance(call.get("request"), dict) else {}
    endpoint = call.get("endpoint")
    if endpoint not in ("messages", "responses"):
        return request
    notes = convert.Notes("OpenAI Chat Completions")
    try:
        if endpoint == "messages":
            return convert.messages_to_chat(request, notes)
        return convert.responses_to_chat(request, notes)
    except (AttributeError, TypeError, KeyError, ValueError):
        return {"messages": []}


def messages(call: dict[str, Any]) -> list[Message]:
    """The request's messages (system first) in Chat Completions form."""
    return [m for m in chat_request(call).get("messages") or [] if isinstance(m, dict)]


def assistant(call: dict[str, Any]) -> Message:
    """The logged answer as an assistant turn, with its tool calls."""
    turn: Message = {"role": "assistant", "content": call.get("output_text")}
    calls = [
        {
            "id": tool.get("id"),
            "type": "function",
            "function": {"name": tool.get("name"), "arguments": _arguments(tool.get("arguments"))},
        }
        for tool in call.get("tool_calls") or []
        if isinstance(tool, dict)
    ]
    if calls:
        turn["tool_calls"] = calls
    elif turn["content"] is None:
        turn["content"] = ""
    return turn


def tools(call: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's tool definitions as Chat Completions function tools."""
    return [t for t in chat_request(call).get("tools") or [] if isinstance(t, dict)]


def _arguments(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def text_of(content: Any) -> str:
    """The text of a message content: a string, or its text parts joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            part.get("text", "")
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""
