"""Cross-provider requests: OpenAI Chat Completions and Responses ↔ Anthropic Messages.

System prompt, messages, images, tool definitions, tool choice, tool calls and tool
results convert; every key or part without a counterpart is named in a warning, never
dropped silently. A Responses body goes to Anthropic by way of the Chat shape; an
Anthropic body becomes a Chat Completions body.
"""

from __future__ import annotations

import json
import re
from typing import Any

Body = dict[str, Any]
# Anthropic requires max_tokens; used when the OpenAI body set none.
DEFAULT_MAX_TOKENS = 4096
_DATA_URL = re.compile(r"^data:([^;,]+);base64,(.*)$", re.DOTALL)


class Notes:
    """Warnings about what a conversion could not carry over."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.items: list[str] = []

    def left_out(self, what: str) -> None:
        note = f"{what}: no counterpart in {self.target}, left out"
        if note not in self.items:
            self.items.append(note)

    def changed(self, what: str) -> None:
        if what not in self.items:
            self.items.append(what)


def convert(body: Body, endpoint: str, provider: str) -> tuple[str, Body, list[str]]:
    """``body`` (sent to ``endpoint``) for ``provider``: (new endpoint, new body, warnings)."""
    if provider == "anthropic":
        if endpoint == "messages":
            return endpoint, body, []
        notes = Notes("Anthropic Messages")
        chat = responses_to_chat(body, notes) if endpoint == "responses" else body
        return "messages", chat_to_messages(chat, notes), notes.items
    if endpoint != "messages":
        return endpoint, body, []
    notes = Notes("OpenAI Chat Completions")
    return "chat.completions", messages_to_chat(body, notes), notes.items


# --- OpenAI Chat → Anthropic Messages ---------------------------------------------------


def chat_to_messages(body: Body, notes: Notes) -> Body:
    system: list[str] = []
    messages: list[dict[str, Any]] = []
    for n, message in enumerate(body.get("messages") or [], 1):
        role = message.get("role")
        if role in ("system", "developer"):
            system.append(_plain(message.get("content")))
        elif role in ("user", "assistant"):
            blocks = (
                _user_blocks(message.get("content"), notes, n)
                if role == "user"
                else _assistant_blocks(message, notes, n)
            )
            if blocks:
                _append(messages, role, blocks)
            else:
                notes.changed(f"message {n}: empty (Anthropic refuses empty turns), left out")
        elif role == "tool":
            result = {
                "type": "tool_result",
                "tool_use_id": message.get("tool_call_id"),
                "content": _plain(message.get("content")),
            }
            _append(messages, "user", [result])
        else:
            notes.left_out(f"message {n} (role {role!r})")
    out: Body = {"model": body.get("model")}
    if system:
        out["system"] = "\n\n".join(system)
    out["messages"] = [_compact(m) for m in messages]
    out["max_tokens"] = body.get("max_completion_tokens") or body.get("max_tokens")
    if out["max_tokens"] is None:
        out["max_tokens"] = DEFAULT_MAX_TOKENS
        notes.changed(f"max_tokens: Anthropic requires it, set to {DEFAULT_MAX_TOKENS}")
    _chat_options_to_messages(body, out, notes)
    return out


_CHAT_HANDLED = {
    "model",
    "messages",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "stop",
    "stream",
    "stream_options",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "user",
}


def _chat_options_to_messages(body: Body, out: Body, notes: Notes) -> None:
    temperature = body.get("temperature")
    if temperature is not None:
        out["temperature"] = min(temperature, 1)
        if temperature > 1:
            notes.changed(f"temperature {temperature}: Anthropic's maximum is 1, sent as 1")
    if body.get("top_p") is not None:
        out["top_p"] = body["top_p"]
    stop = body.get("stop")
    if stop:
        out["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    if "stream" in body:
        out["stream"] = body["stream"]
    if set(body.get("stream_options") or {}) - {"include_usage"}:
        notes.left_out("stream_options")  # (Anthropic streams always report usage)
    if body.get("tools"):
        out["tools"] = [t for t in (_tool_to_anthropic(t, notes) for t in body["tools"]) if t]
    choice = _choice_to_anthropic(body.get("tool_choice"), notes)
    if body.get("parallel_tool_calls") is False:
        choice = {**(choice or {"type": "auto"}), "disable_parallel_tool_use": True}
    if choice:
        out["tool_choice"] = choice
    if body.get("user"):
        out["metadata"] = {"user_id": body["user"]}
    for key in sorted(set(body) - _CHAT_HANDLED):
        notes.left_out(key)


def _append(messages: list[dict[str, Any]], role: str, blocks: list[dict[str, Any]]) -> None:
    """Add a turn; consecutive turns of one role become one (tool results share a turn)."""
    if messages and messages[-1]["role"] == role:
        messages[-1]["content"].extend(blocks)
    else:
        messages.append({"role": role, "content": list(blocks)})


def _compact(message: dict[str, Any]) -> dict[str, Any]:
    """One text block is sent as a plain string, as people write it."""
    blocks = message["content"]
    if len(blocks) == 1 and blocks[0]["type"] == "text":
        return {"role": message["role"], "content": blocks[0]["text"]}
    return message


def _plain(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(p.get("text", "")) for p in content if isinstance(p, dict) and "text" in p
        )
    return "" if content is None else json.dumps(content)


def _user_blocks(content: Any, notes: Notes, n: int) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks = []
    for part in content or []:
        kind = part.get("type")
        if kind == "text":
            if part.get("text"):
                blocks.append({"type": "text", "text": part["text"]})
        elif kind == "image_url":
            image = part.get("image_url") or {}
            url = image.get("url", "") if isinstance(image, dict) else str(image)
            blocks.append({"type": "image", "source": _image_source(url)})
            if isinstance(image, dict) and image.get("detail"):
                notes.left_out("image detail")
        else:
            notes.left_out(f"message {n}: a {kind} part")
    return blocks


def _image_source(url: str) -> dict[str, Any]:
    found = _DATA_URL.match(url)
    if found:
        return {"type": "base64", "media_type": found.group(1), "data": found.group(2)}
    return {"type": "url", "url": url}


def _assistant_blocks(message: Body, notes: Notes, n: int) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    text = _plain(message.get("content"))
    if text:
        blocks.append({"type": "text", "text": text})
    if message.get("refusal"):
        blocks.append({"type": "text", "text": message["refusal"]})
        notes.changed(f"message {n}: the assistant's refusal is sent as its text")
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        blocks.append(
            {
                "type": "tool_use",
                "id": call.get("id"),
                "name": function.get("name"),
                "input": _arguments(function.get("arguments"), notes, n),
            }
        )
    return blocks


def _arguments(text: Any, notes: Notes, n: int) -> Any:
    if not isinstance(text, str):
        return text if isinstance(text, dict) else {}
    try:
        value = json.loads(text or "{}")
    except ValueError:
        value = None
    if isinstance(value, dict):
        return value
    notes.changed(f"message {n}: tool call arguments are not a JSON object, sent as {{}}")
    return {}


def _tool_to_anthropic(tool: Body, notes: Notes) -> Body | None:
    if tool.get("type") != "function":
        notes.left_out(f"tool of type {tool.get('type')!r}")
        return None
    function = tool.get("function") or {}
    out = {"name": function.get("name")}
    if function.get("description"):
        out["description"] = function["description"]
    out["input_schema"] = function.get("parameters") or {"type": "object", "properties": {}}
    if function.get("strict"):
        notes.left_out("strict tool schemas")
    return out


def _choice_to_anthropic(choice: Any, notes: Notes) -> Body | None:
    if choice is None:
        return None
    if isinstance(choice, str):
        return {
            "auto": {"type": "auto"},
            "none": {"type": "none"},
            "required": {"type": "any"},
        }.get(choice) or _no_choice(choice, notes)
    if choice.get("type") == "function":
        return {"type": "tool", "name": (choice.get("function") or {}).get("name")}
    return _no_choice(choice, notes)


def _no_choice(choice: Any, notes: Notes) -> None:
    notes.left_out(f"tool_choice {json.dumps(choice)}")


# --- OpenAI Responses → OpenAI Chat (on the way to Anthropic) ----------------------------

_RESPONSES_SHARED = ("model", "temperature", "top_p", "stream", "parallel_tool_calls", "user")
_RESPONSES_HANDLED = {
    *_RESPONSES_SHARED,
    "instructions",
    "input",
    "tools",
    "tool_choice",
    "max_output_tokens",
    "text",
}


def responses_to_chat(body: Body, notes: Notes) -> Body:
    messages: list[dict[str, Any]] = []
    if body.get("instructions"):
        messages.append({"role": "system", "content": body["instructions"]})
    items = body.get("input")
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    for n, item in enumerate(items or [], 1):
        _responses_item(item, messages, notes, n)
    chat: Body = {k: body[k] for k in _RESPONSES_SHARED if k in body}
    chat["messages"] = messages
    if body.get("max_output_tokens") is not None:
        chat["max_completion_tokens"] = body["max_output_tokens"]
    if body.get("tools"):
        chat["tools"] = [t for t in (_responses_tool(t, notes) for t in body["tools"]) if t]
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "function":
        choice = {"type": "function", "function": {"name": choice.get("name")}}
    if choice is not None:
        chat["tool_choice"] = choice
    fmt = (body.get("text") or {}).get("format") or {}
    if fmt.get("type") not in (None, "text"):
        notes.left_out(f"structured output (text.format {fmt.get('type')})")
    for key in sorted(set(body) - _RESPONSES_HANDLED):
        notes.left_out(key)
    return chat


def _responses_item(item: Body, messages: list[dict[str, Any]], notes: Notes, n: int) -> None:
    kind = item.get("type", "message")
    if kind == "message":
        role = item.get("role")
        content = item.get("content")
        if not isinstance(content, str):
            content = [p for p in (_responses_part(p, notes, n) for p in content or []) if p]
        messages.append({"role": role, "content": content})
    elif kind == "function_call":
        call = {
            "id": item.get("call_id"),
            "type": "function",
            "function": {"name": item.get("name"), "arguments": item.get("arguments")},
        }
        last = messages[-1] if messages else None
        if last is None or last["role"] != "assistant":
            last = {"role": "assistant", "content": None}
            messages.append(last)
        last.setdefault("tool_calls", []).append(call)
    elif kind == "function_call_output":
        output = item.get("output")
        messages.append(
            {
                "role": "tool",
                "tool_call_id": item.get("call_id"),
                "content": output if isinstance(output, str) else _plain(output),
            }
        )
    else:
        notes.left_out(f"input item {n} ({kind})")


def _responses_part(part: Body, notes: Notes, n: int) -> Body | None:
    kind = part.get("type")
    if kind in ("input_text", "output_text", "text"):
        return {"type": "text", "text": part.get("text", "")}
    if kind == "input_image" and part.get("image_url"):
        return {"type": "image_url", "image_url": {"url": part["image_url"]}}
    notes.left_out(f"input item {n}: a {kind} part")
    return None


def _responses_tool(tool: Body, notes: Notes) -> Body | None:
    if tool.get("type") != "function":
        notes.left_out(f"tool of type {tool.get('type')!r}")
        return None
    function = {k: tool[k] for k in ("name", "description", "parameters", "strict") if k in tool}
    return {"type": "function", "function": function}


# --- Anthropic Messages → OpenAI Chat -------------------------------------------------

_MESSAGES_HANDLED = {
    "model",
    "system",
    "messages",
    "max_tokens",
    "temperature",
    "top_p",
    "stop_sequences",
    "stream",
    "tools",
    "tool_choice",
    "metadata",
}


def messages_to_chat(body: Body, notes: Notes) -> Body:
    messages: list[dict[str, Any]] = []
    system = body.get("system")
    if system:
        messages.append({"role": "system", "content": _anthropic_text(system, notes)})
    for n, message in enumerate(body.get("messages") or [], 1):
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if message.get("role") == "assistant":
            messages.append(_assistant_to_chat(blocks or [], notes, n))
        else:
            messages.extend(_user_to_chat(blocks or [], notes, n))
    out: Body = {"model": body.get("model"), "messages": messages}
    if body.get("max_tokens") is not None:
        out["max_completion_tokens"] = body["max_tokens"]
    for key in ("temperature", "top_p", "stream"):
        if key in body:
            out[key] = body[key]
    if body.get("stream"):
        out["stream_options"] = {"include_usage": True}  # usage, as Anthropic streams give it
    if body.get("stop_sequences"):
        out["stop"] = body["stop_sequences"]
    if body.get("tools"):
        out["tools"] = [t for t in (_tool_to_chat(t, notes) for t in body["tools"]) if t]
    _choice_to_chat(body.get("tool_choice"), out, notes)
    metadata = dict(body.get("metadata") or {})
    if metadata.get("user_id"):
        out["user"] = metadata.pop("user_id")
    if metadata:
        notes.left_out("metadata")
    for key in sorted(set(body) - _MESSAGES_HANDLED):
        notes.left_out(key)
    return out


def _anthropic_text(content: Any, notes: Notes) -> str:
    if isinstance(content, str):
        return content
    if any(isinstance(b, dict) and b.get("cache_control") for b in content or []):
        notes.left_out("cache_control")
    return _plain(content)


def _assistant_to_chat(blocks: list[Body], notes: Notes, n: int) -> Body:
    texts, calls = [], []
    for block in blocks:
        kind = block.get("type")
        if kind == "text":
            texts.append(block.get("text", ""))
        elif kind == "tool_use":
            arguments = json.dumps(block.get("input") or {}, ensure_ascii=False)
            calls.append(
                {
                    "id": block.get("id"),
                    "type": "function",
                    "function": {"name": block.get("name"), "arguments": arguments},
                }
            )
        else:
            notes.left_out(f"message {n}: a {kind} block")
        if block.get("cache_control"):
            notes.left_out("cache_control")
    message: Body = {"role": "assistant", "content": "\n".join(texts) if texts else None}
    if calls:
        message["tool_calls"] = calls
    return message


def _user_to_chat(blocks: list[Body], notes: Notes, n: int) -> list[Body]:
    """Tool results become tool messages (first, as their calls are answered), the rest one
    user message."""
    results, parts = [], []
    for block in blocks:
        kind = block.get("type")
        if kind == "tool_result":
            if block.get("is_error"):
                notes.left_out(f"message {n}: a tool result's is_error flag")
            content = block.get("content")
            if isinstance(content, list) and any(b.get("type") != "text" for b in content):
                notes.left_out(f"message {n}: a tool result's non-text content")
            results.append(
                {
                    "role": "tool",
                    "tool_call_id": block.get("tool_use_id"),
                    "content": _plain(content),
                }
            )
        elif kind == "text":
            parts.append({"type": "text", "text": block.get("text", "")})
        elif kind == "image":
            parts.append({"type": "image_url", "image_url": {"url": _image_url(block)}})
        else:
            notes.left_out(f"message {n}: a {kind} block")
        if block.get("cache_control"):
            notes.left_out("cache_control")
    if not parts:
        return results
    if len(parts) == 1 and parts[0]["type"] == "text":
        return [*results, {"role": "user", "content": parts[0]["text"]}]
    return [*results, {"role": "user", "content": parts}]


def _image_url(block: Body) -> str:
    source = block.get("source") or {}
    if source.get("type") == "base64":
        return f"data:{source.get('media_type')};base64,{source.get('data')}"
    return str(source.get("url", ""))


def _tool_to_chat(tool: Body, notes: Notes) -> Body | None:
    if tool.get("type") not in (None, "custom"):
        notes.left_out(f"tool of type {tool.get('type')!r}")
        return None
    function = {"name": tool.get("name")}
    if tool.get("description"):
        function["description"] = tool["description"]
    function["parameters"] = tool.get("input_schema") or {"type": "object", "properties": {}}
    if tool.get("cache_control"):
        notes.left_out("cache_control")
    return {"type": "function", "function": function}


def _choice_to_chat(choice: Any, out: Body, notes: Notes) -> None:
    if not isinstance(choice, dict):
        return
    kind = choice.get("type")
    mapped: Any = {"auto": "auto", "any": "required", "none": "none"}.get(kind)
    if kind == "tool":
        mapped = {"type": "function", "function": {"name": choice.get("name")}}
    if mapped is None:
        notes.left_out(f"tool_choice {json.dumps(choice)}")
        return
    out["tool_choice"] = mapped
    if choice.get("disable_parallel_tool_use"):
        out["parallel_tool_calls"] = False
