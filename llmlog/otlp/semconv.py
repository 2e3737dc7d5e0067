"""Message content between the GenAI semantic conventions and the providers' bodies.

The conventions carry content as ``gen_ai.system_instructions`` (parts),
``gen_ai.input.messages`` and ``gen_ai.output.messages`` (``{role, parts}``, outputs with a
``finish_reason``) and ``gen_ai.tool.definitions``; a part is ``{type: text, content}``,
``{type: tool_call, id, name, arguments}``, ``{type: tool_call_response, id, response}``,
``{type: uri | blob | file | reasoning, ...}``. Instrumentations on the older conventions
send one event per message instead (``gen_ai.system.message``, ``gen_ai.user.message``,
``gen_ai.assistant.message``, ``gen_ai.tool.message``, ``gen_ai.choice``), whose bodies
hold OpenAI-shaped messages: ``from_events`` reads them into the same form.

A call llmlog stores keeps the provider's own body, so a span becomes the body the
provider's API would have been sent and answered (``request_body``, ``response_body``:
OpenAI chat completions, or Anthropic messages), which capture's parsers then read as
they read a captured call. ``content_of`` goes the other way, for ``llmlog export --otlp``.
"""

from __future__ import annotations

import json
from typing import Any

from llmlog.store.records import loads

Message = dict[str, Any]

# Semantic-convention finish reasons and the providers' (llmlog's finish_reason is OpenAI's).
TO_OPENAI_FINISH = {"tool_call": "tool_calls", "tool_calls": "tool_calls"}
TO_ANTHROPIC_FINISH = {
    "stop": "end_turn", "length": "max_tokens", "tool_call": "tool_use",
    "tool_calls": "tool_use", "content_filter": "refusal", "refusal": "refusal",
}  # fmt: skip
FROM_LLMLOG_FINISH = {"tool_calls": "tool_call"}
# Request parameters: the attribute, then the key in OpenAI's and in Anthropic's body.
PARAMETERS = (
    ("gen_ai.request.temperature", "temperature", "temperature"),
    ("gen_ai.request.top_p", "top_p", "top_p"),
    ("gen_ai.request.top_k", None, "top_k"),
    ("gen_ai.request.max_tokens", "max_tokens", "max_tokens"),
    ("gen_ai.request.frequency_penalty", "frequency_penalty", None),
    ("gen_ai.request.presence_penalty", "presence_penalty", None),
    ("gen_ai.request.stop_sequences", "stop", "stop_sequences"),
    ("gen_ai.request.seed", "seed", None),
    ("gen_ai.request.choice.count", "n", None),
    ("gen_ai.request.stream", "stream", "stream"),
)
EVENT_ROLES = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
CHOICE_EVENT = "gen_ai.choice"


def json_value(value: Any) -> Any:
    """An attribute that holds JSON: its text parsed (values sent structured stay as they are)."""
    if isinstance(value, str):
        try:
            return loads(value)
        except ValueError:
            return None
    return value


def _text(content: str) -> dict[str, Any]:
    return {"type": "text", "content": content}


def _parts(content: Any) -> list[dict[str, Any]]:
    """A provider message's content (text, or a list of blocks) as semantic-convention parts."""
    if content is None:
        return []
    if isinstance(content, str):
        return [_text(content)]
    if not isinstance(content, list):
        return [{"type": "generic", "value": content}]
    parts = []
    for block in content:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind in ("text", "input_text", "output_text") and isinstance(block.get("text"), str):
            parts.append(_text(block["text"]))
        elif kind == "image_url":
            url = (block.get("image_url") or {}).get("url")
            parts.append({"type": "uri", "modality": "image", "uri": url})
        elif kind == "tool_use":
            parts.append(_call(block.get("id"), block.get("name"), block.get("input")))
        elif kind == "tool_result":
            parts.append(_response(block.get("tool_use_id"), block.get("content")))
        else:
            parts.append({"type": str(kind or "generic"), "value": block})
    return parts


def _call(call_id: Any, name: Any, arguments: Any) -> dict[str, Any]:
    if isinstance(arguments, str):
        arguments = json_value(arguments) if arguments else None
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": arguments}


def _response(call_id: Any, response: Any) -> dict[str, Any]:
    return {"type": "tool_call_response", "id": call_id, "response": response}


# --- The older conventions' events -------------------------------------------------------


def from_events(events: list[tuple[str, Any]]) -> tuple[list[Message], list[Message]]:
    """Input and output messages from ``(event name, body)`` pairs in the order sent."""
    inputs: list[Message] = []
    outputs: list[tuple[int, Message]] = []
    for name, body in events:
        body = body if isinstance(body, dict) else {}
        if name == CHOICE_EVENT:
            message = body.get("message") or {}
            out = _openai_message(message.get("role") or "assistant", message)
            out["finish_reason"] = body.get("finish_reason") or "stop"
            outputs.append((_index(body.get("index")), out))
        elif name in EVENT_ROLES:
            inputs.append(_openai_message(EVENT_ROLES[name], body))
    return inputs, [message for _, message in sorted(outputs, key=lambda pair: pair[0])]


def _index(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _openai_message(role: str, message: dict[str, Any]) -> Message:
    """An OpenAI chat message (as the events carry it) as a semantic-convention message."""
    if role == "tool":
        return {"role": "tool", "parts": [_response(message.get("id"), message.get("content"))]}
    parts = _parts(message.get("content"))
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        parts.append(_call(call.get("id"), function.get("name"), function.get("arguments")))
    return {"role": role, "parts": parts}


# --- To the body a provider was sent, and its answer --------------------------------------


def request_body(
    endpoint: str, attributes: dict[str, Any], system: list[Any], inputs: list[Message]
) -> dict[str, Any]:
    """The request a span describes, in ``endpoint``'s shape (``messages`` for Anthropic,
    else OpenAI's ``chat.completions``)."""
    anthropic = endpoint == "messages"
    body: dict[str, Any] = {"model": attributes.get("gen_ai.request.model")}
    system_text = _joined(system)
    if anthropic:
        if system_text is not None:
            body["system"] = system_text
        body["messages"] = [m for m in map(_to_anthropic, inputs) if m is not None]
    else:
        head = [] if system_text is None else [{"role": "system", "content": system_text}]
        body["messages"] = head + [m for msg in inputs for m in _to_openai(msg)]
    tools = json_value(attributes.get("gen_ai.tool.definitions"))
    if isinstance(tools, list) and tools:
        body["tools"] = [_tool(tool, anthropic=anthropic) for tool in tools]
    for name, openai_key, anthropic_key in PARAMETERS:
        key = anthropic_key if anthropic else openai_key
        if key is not None and attributes.get(name) is not None:
            body[key] = attributes[name]
    return body


def response_body(
    endpoint: str, attributes: dict[str, Any], outputs: list[Message]
) -> dict[str, Any]:
    """The answer a span describes, in ``endpoint``'s shape, with its usage."""
    usage = Usage.of(attributes)
    reasons = attributes.get("gen_ai.response.finish_reasons")
    head = {"id": attributes.get("gen_ai.response.id"), "model": _response_model(attributes)}
    if endpoint == "messages":
        message = outputs[0] if outputs else {"parts": []}
        reason = _reason(message, reasons, 0)
        return {
            **head, "type": "message", "role": "assistant",
            "content": [_anthropic_block(part) for part in message.get("parts") or ()],
            "stop_reason": _mapped(TO_ANTHROPIC_FINISH, reason),
            "usage": usage.anthropic(),
        }  # fmt: skip
    choices = []
    for index, message in enumerate(outputs):
        reason = _reason(message, reasons, index)
        out: dict[str, Any] = {"role": message.get("role") or "assistant"}
        out["content"] = _joined(message.get("parts") or [])
        calls = [_openai_call(p) for p in message.get("parts") or () if _kind(p) == "tool_call"]
        if calls:
            out["tool_calls"] = calls
        choices.append(
            {"index": index, "message": out, "finish_reason": _mapped(TO_OPENAI_FINISH, reason)}
        )
    return {**head, "object": "chat.completion", "choices": choices, "usage": usage.openai()}


def _reason(message: Message, reasons: Any, index: int) -> str | None:
    """An output's finish reason: its own, else the span's ``finish_reasons`` at ``index``."""
    reason = message.get("finish_reason")
    if not isinstance(reason, str) and isinstance(reasons, list) and index < len(reasons):
        reason = reasons[index]
    return reason if isinstance(reason, str) else None


def _mapped(table: dict[str, str], reason: str | None) -> str | None:
    return None if reason is None else table.get(reason, reason)


def _response_model(attributes: dict[str, Any]) -> Any:
    return attributes.get("gen_ai.response.model") or attributes.get("gen_ai.request.model")


class Usage:
    """``gen_ai.usage.*``: input tokens count cached ones, as llmlog's ``input_tokens`` does."""

    def __init__(self, attributes: dict[str, Any]) -> None:
        def count(name: str) -> int | None:
            value = attributes.get(f"gen_ai.usage.{name}")
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        self.input = count("input_tokens")
        self.output = count("output_tokens")
        self.cache_read = count("cache_read.input_tokens")
        self.cache_write = count("cache_creation.input_tokens")
        self.reasoning = count("reasoning.output_tokens")

    @classmethod
    def of(cls, attributes: dict[str, Any]) -> Usage:
        return cls(attributes)

    def openai(self) -> dict[str, Any] | None:
        if self.input is None and self.output is None:
            return None
        usage: dict[str, Any] = {
            "prompt_tokens": self.input or 0,
            "completion_tokens": self.output or 0,
            "total_tokens": (self.input or 0) + (self.output or 0),
            "prompt_tokens_details": {"cached_tokens": self.cache_read or 0},
        }
        if self.reasoning is not None:
            usage["completion_tokens_details"] = {"reasoning_tokens": self.reasoning}
        return usage

    def anthropic(self) -> dict[str, Any] | None:
        if self.input is None and self.output is None:
            return None
        read, write = self.cache_read or 0, self.cache_write or 0
        return {
            "input_tokens": max((self.input or 0) - read - write, 0),
            "output_tokens": self.output or 0,
            "cache_read_input_tokens": read,
            "cache_creation_input_tokens": write,
        }


def _kind(part: Any) -> str | None:
    return part.get("type") if isinstance(part, dict) else None


def _joined(parts: list[Any]) -> str | None:
    """The text parts of a list of parts, joined (None when there are none)."""
    texts = [
        p["content"] for p in parts if _kind(p) == "text" and isinstance(p.get("content"), str)
    ]
    return "".join(texts) if texts else None


def _arguments_text(arguments: Any) -> str:
    if isinstance(arguments, str):
        return arguments
    return json.dumps({} if arguments is None else arguments, separators=(",", ":"))


def _openai_call(part: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": part.get("id"),
        "type": "function",
        "function": {"name": part.get("name"), "arguments": _arguments_text(part.get("arguments"))},
    }


def _openai_part(part: Any) -> dict[str, Any]:
    kind = _kind(part)
    if kind == "text":
        return {"type": "text", "text": part.get("content")}
    if kind == "uri" and part.get("modality") == "image":
        return {"type": "image_url", "image_url": {"url": part.get("uri")}}
    return part if isinstance(part, dict) else {"type": "text", "text": str(part)}


def _to_openai(message: Message) -> list[dict[str, Any]]:
    """One semantic-convention message as OpenAI chat messages (a tool message per result)."""
    role, parts = message.get("role") or "user", message.get("parts") or []
    if role == "tool":
        return [
            {"role": "tool", "tool_call_id": p.get("id"), "content": _result_text(p)}
            for p in parts
            if _kind(p) == "tool_call_response"
        ]
    calls = [_openai_call(p) for p in parts if _kind(p) == "tool_call"]
    rest = [p for p in parts if _kind(p) not in ("tool_call", "tool_call_response")]
    out: dict[str, Any] = {"role": role}
    if all(_kind(p) == "text" for p in rest):
        out["content"] = _joined(rest)
    else:
        out["content"] = [_openai_part(p) for p in rest]
    if calls:
        out["tool_calls"] = calls
    results = [
        {"role": "tool", "tool_call_id": p.get("id"), "content": _result_text(p)}
        for p in parts
        if _kind(p) == "tool_call_response"
    ]
    return [out, *results] if rest or calls else results


def _result_text(part: dict[str, Any]) -> str:
    response = part.get("response")
    return response if isinstance(response, str) else json.dumps(response, separators=(",", ":"))


def _anthropic_block(part: Any) -> dict[str, Any]:
    kind = _kind(part)
    if kind == "text":
        return {"type": "text", "text": part.get("content")}
    if kind == "tool_call":
        arguments = json_value(part.get("arguments"))
        return {"type": "tool_use", "id": part.get("id"), "name": part.get("name"),
                "input": arguments if arguments is not None else {}}  # fmt: skip
    if kind == "tool_call_response":
        return {"type": "tool_result", "tool_use_id": part.get("id"), "content": _result_text(part)}
    if kind == "reasoning":
        return {"type": "thinking", "thinking": part.get("content")}
    return part if isinstance(part, dict) else {"type": "text", "text": str(part)}


def _to_anthropic(message: Message) -> dict[str, Any] | None:
    role = message.get("role") or "user"
    blocks = [_anthropic_block(p) for p in message.get("parts") or ()]
    if role == "system":
        return None  # (Anthropic's system prompt is the request's ``system``)
    if role == "tool":
        role = "user"  # (Anthropic sends tool results in a user turn)
    if len(blocks) == 1 and blocks[0].get("type") == "text":
        return {"role": role, "content": blocks[0]["text"]}
    return {"role": role, "content": blocks}


def _tool(tool: Any, *, anthropic: bool) -> Any:
    if not isinstance(tool, dict) or tool.get("type", "function") != "function":
        return tool
    if anthropic:
        return {"name": tool.get("name"), "description": tool.get("description"),
                "input_schema": tool.get("parameters") or {"type": "object"}}  # fmt: skip
    function = {k: tool[k] for k in ("name", "description", "parameters") if k in tool}
    return {"type": "function", "function": function}


# --- From a stored call's bodies (llmlog export --otlp) ----------------------------------


def content_of(endpoint: str, request: Any) -> tuple[list[Any], list[Message], list[Any]]:
    """System instructions, input messages and tool definitions of a stored request."""
    if not isinstance(request, dict):
        return [], [], []
    if endpoint == "messages":
        system = _parts(request.get("system"))
        inputs = [_anthropic_message(m) for m in request.get("messages") or () if _is_dict(m)]
    elif endpoint == "responses":
        system = _parts(request.get("instructions"))
        inputs = _responses_input(request.get("input"))
    else:
        system, inputs = [], []
        for message in request.get("messages") or ():
            if not _is_dict(message):
                continue
            if message.get("role") in ("system", "developer"):
                system += _parts(message.get("content"))
            elif message.get("role") == "tool":
                inputs.append(
                    _openai_message("tool", {**message, "id": message.get("tool_call_id")})
                )
            else:
                inputs.append(_openai_message(message.get("role") or "user", message))
    return system, inputs, [_definition(t) for t in request.get("tools") or () if _is_dict(t)]


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)


def _anthropic_message(message: dict[str, Any]) -> Message:
    parts = _parts(message.get("content"))
    results = all(_kind(p) == "tool_call_response" for p in parts) and parts
    return {"role": "tool" if results else message.get("role") or "user", "parts": parts}


def _responses_input(given: Any) -> list[Message]:
    if isinstance(given, str):
        return [{"role": "user", "parts": [_text(given)]}]
    out: list[Message] = []
    for item in given if isinstance(given, list) else ():
        if not _is_dict(item):
            continue
        kind = item.get("type")
        if kind == "function_call":
            out.append(
                {
                    "role": "assistant",
                    "parts": [_call(item.get("call_id"), item.get("name"), item.get("arguments"))],
                }
            )
        elif kind == "function_call_output":
            out.append(
                {"role": "tool", "parts": [_response(item.get("call_id"), item.get("output"))]}
            )
        elif "role" in item:
            out.append({"role": item["role"], "parts": _parts(item.get("content"))})
    return out


def _definition(tool: dict[str, Any]) -> dict[str, Any]:
    function: dict[str, Any] = tool["function"] if isinstance(tool.get("function"), dict) else tool
    definition = {"type": "function", "name": function.get("name")}
    if function.get("description") is not None:
        definition["description"] = function["description"]
    schema = function.get("parameters", function.get("input_schema"))
    if schema is not None:
        definition["parameters"] = schema
    return definition


def output_of(record: dict[str, Any]) -> list[Message]:
    """A stored call's answer as output messages: its text and tool calls."""
    if record.get("output_text") is None and not record.get("tool_calls"):
        return []
    parts = [] if record.get("output_text") is None else [_text(record["output_text"])]
    for call in record.get("tool_calls") or ():
        parts.append(_call(call.get("id"), call.get("name"), call.get("arguments")))
    reason = record.get("finish_reason") or "stop"
    return [{"role": "assistant", "parts": parts,
             "finish_reason": FROM_LLMLOG_FINISH.get(reason, reason)}]  # fmt: skip
