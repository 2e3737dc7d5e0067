"""A logged call's conversation as OpenAI Chat Completions messages and tools.

Chat Completions calls are taken as sent. Anthropic Messages and OpenAI Responses calls
are converted: system prompt, text, images, tool definitions, tool calls and tool results
carry over; parts with no Chat counterpart (thinking, documents, server tools) are left
out. The replay conversion (llmlog.replay.convert) does the same for requests; these turn
into one when both are in main.
"""

from __future__ import annotations

import json
from typing import Any

Message = dict[str, Any]


def messages(call: dict[str, Any]) -> list[Message]:
    """The request's messages (system first) in Chat Completions form."""
    request = call.get("request") if isinstance(call.get("request"), dict) else {}
    if call.get("endpoint") == "messages":
        return _from_anthropic(request)
    if call.get("endpoint") == "responses":
        return _from_responses(request)
    return list(request.get("messages") or [])


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
    request = call.get("request") if isinstance(call.get("request"), dict) else {}
    defined = [tool for tool in request.get("tools") or [] if isinstance(tool, dict)]
    if call.get("endpoint") == "messages":
        return [
            _function(t.get("name"), t.get("description"), t.get("input_schema"))
            for t in defined
            if "input_schema" in t
        ]
    if call.get("endpoint") == "responses":
        return [
            _function(t.get("name"), t.get("description"), t.get("parameters"))
            for t in defined
            if t.get("type") == "function"
        ]
    return defined


def _function(name: Any, description: Any, parameters: Any) -> dict[str, Any]:
    function = {"name": name, "description": description, "parameters": parameters}
    return {"type": "function", "function": {k: v for k, v in function.items() if v is not None}}


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


# --- Anthropic Messages ---------------------------------------------------------------


def _from_anthropic(request: dict[str, Any]) -> list[Message]:
    out: list[Message] = []
    system = request.get("system")
    if system:
        out.append({"role": "system", "content": text_of(system)})
    for message in request.get("messages") or []:
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        blocks = content if isinstance(content, list) else [{"type": "text", "text": content}]
        if message.get("role") == "assistant":
            out.append(_anthropic_assistant(blocks))
        else:
            out.extend(_anthropic_user(blocks))
    return out


def _anthropic_assistant(blocks: list[Any]) -> Message:
    text = [b["text"] for b in blocks if _kind(b) == "text" and isinstance(b.get("text"), str)]
    calls = [
        {
            "id": b.get("id"),
            "type": "function",
            "function": {"name": b.get("name"), "arguments": _arguments(b.get("input", {}))},
        }
        for b in blocks
        if _kind(b) == "tool_use"
    ]
    turn: Message = {"role": "assistant", "content": "".join(text) if text or not calls else None}
    if calls:
        turn["tool_calls"] = calls
    return turn


def _anthropic_user(blocks: list[Any]) -> list[Message]:
    out: list[Message] = []
    parts: list[dict[str, Any]] = []
    for block in blocks:
        kind = _kind(block)
        if kind == "tool_result":
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": block.get("tool_use_id"),
                    "content": text_of(block.get("content")),
                }
            )
        elif kind == "text":
            parts.append({"type": "text", "text": block.get("text")})
        elif kind == "image":
            url = _image_url(block.get("source") or {})
            if url:
                parts.append({"type": "image_url", "image_url": {"url": url}})
    if parts:
        only_text = len(parts) == 1 and parts[0]["type"] == "text"
        out.append({"role": "user", "content": parts[0]["text"] if only_text else parts})
    return out


def _image_url(source: dict[str, Any]) -> str | None:
    if source.get("type") == "base64":
        return f"data:{source.get('media_type')};base64,{source.get('data')}"
    return source.get("url") if source.get("type") == "url" else None


def _kind(block: Any) -> str | None:
    return block.get("type") if isinstance(block, dict) else None


# --- OpenAI Responses -----------------------------------------------------------------


def _from_responses(request: dict[str, Any]) -> list[Message]:
    out: list[Message] = []
    if request.get("instructions"):
        out.append({"role": "system", "content": text_of(request["instructions"])})
    given = request.get("input")
    items = [{"role": "user", "content": given}] if isinstance(given, str) else given or []
    for item in items:
        if not isinstance(item, dict):
            continue
        kind = item.get("type", "message")
        if kind == "message":
            out.append({"role": item.get("role"), "content": _responses_content(item)})
        elif kind == "function_call":
            call = {
                "id": item.get("call_id"),
                "type": "function",
                "function": {"name": item.get("name"), "arguments": item.get("arguments")},
            }
            last = out[-1] if out else None
            if last and last["role"] == "assistant" and "tool_calls" in last:
                last["tool_calls"].append(call)
            else:
                out.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item.get("output")
            out.append(
                {"role": "tool", "tool_call_id": item.get("call_id"), "content": text_of(output)}
            )
    return out


def _responses_content(item: dict[str, Any]) -> Any:
    content = item.get("content")
    if not isinstance(content, list):
        return content
    parts = []
    for part in content:
        kind = _kind(part)
        if kind in ("input_text", "output_text", "text"):
            parts.append({"type": "text", "text": part.get("text")})
        elif kind == "input_image" and part.get("image_url"):
            parts.append({"type": "image_url", "image_url": {"url": part["image_url"]}})
    if len(parts) == 1 and parts[0]["type"] == "text":
        return parts[0]["text"]
    return parts
