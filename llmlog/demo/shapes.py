"""Provider wire shapes: request and response bodies for chat.completions, responses, messages.

The demo builds the bodies an application would have sent and received, so the stored
``request``/``response`` look exactly like captured ones, and prices come from the same
raw usage shapes capture hands to genai-prices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from llmlog.demo.texts import ToolCall, Turn

Body = dict[str, Any]
Tools = Sequence[dict[str, Any]]  # function definitions: name, description, parameters


@dataclass(slots=True)
class Usage:
    """Normalised usage: ``input`` includes cache reads and writes, ``output`` reasoning."""

    input: int
    output: int
    cache_read: int = 0
    cache_write: int = 0
    reasoning: int = 0


@dataclass(frozen=True)
class Params:
    """What an application chose for one call besides the conversation."""

    model: str
    max_tokens: int
    stream: bool
    temperature: float | None = None
    json_mode: bool = False
    reasoning_effort: str | None = None
    cache_system: bool = False


# Normalised finish reason -> each endpoint's own word.
_CHAT_FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_calls",
                "content_filter": "content_filter", "refusal": "stop"}  # fmt: skip
_ANTHROPIC_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use",
                   "refusal": "refusal", "content_filter": "refusal"}  # fmt: skip


def anthropic_id(call_id: str) -> str:
    return "toolu_01" + call_id.removeprefix("call_")[:22]


def request(
    endpoint: str, p: Params, *, system: str, turns: tuple[Turn, ...], tools: Tools
) -> Body:
    """The request body for ``endpoint`` (tools: function definitions or empty)."""
    if endpoint == "messages":
        return _messages_request(p, system=system, turns=turns, tools=tools)
    if endpoint == "responses":
        return _responses_request(p, system=system, turns=turns, tools=tools)
    return _chat_request(p, system=system, turns=turns, tools=tools)


def _chat_request(p: Params, *, system: str, turns: tuple[Turn, ...], tools: Tools) -> Body:
    messages: list[Body] = [{"role": "system", "content": system}]
    for turn in turns:
        if turn.role == "tool":
            messages.append({"role": "tool", "tool_call_id": turn.call_id, "content": turn.text})
        elif turn.tool_calls:
            calls = [_chat_tool_call(c) for c in turn.tool_calls]
            messages.append({"role": "assistant", "content": turn.text, "tool_calls": calls})
        else:
            messages.append({"role": turn.role, "content": turn.text})
    body: Body = {"model": p.model, "messages": messages, "max_completion_tokens": p.max_tokens}
    if p.temperature is not None:
        body["temperature"] = p.temperature
    if tools:
        body["tools"] = [{"type": "function", "function": fn} for fn in tools]
    if p.json_mode:
        body["response_format"] = {"type": "json_object"}
    if p.stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def _chat_tool_call(call: ToolCall) -> Body:
    return {"id": call.id, "type": "function",
            "function": {"name": call.name, "arguments": call.arguments}}  # fmt: skip


def _responses_request(p: Params, *, system: str, turns: tuple[Turn, ...], tools: Tools) -> Body:
    items: list[Body] = []
    for turn in turns:
        if turn.role == "tool":
            items.append({"type": "function_call_output", "call_id": turn.call_id,
                          "output": turn.text})  # fmt: skip
            continue
        if turn.text is not None:
            items.append({"role": turn.role, "content": turn.text})
        items.extend({"type": "function_call", "call_id": c.id, "name": c.name,
                      "arguments": c.arguments} for c in turn.tool_calls)  # fmt: skip
    body: Body = {"model": p.model, "instructions": system, "input": items,
                  "max_output_tokens": p.max_tokens}  # fmt: skip
    if p.reasoning_effort:
        body["reasoning"] = {"effort": p.reasoning_effort}
    if tools:
        body["tools"] = [{"type": "function", **fn} for fn in tools]
    if p.stream:
        body["stream"] = True
    return body


def _messages_request(p: Params, *, system: str, turns: tuple[Turn, ...], tools: Tools) -> Body:
    messages: list[Body] = []
    for turn in turns:
        if turn.role == "tool":
            block = {"type": "tool_result", "tool_use_id": anthropic_id(turn.call_id or ""),
                     "content": turn.text}  # fmt: skip
            messages.append({"role": "user", "content": [block]})
        elif turn.role == "assistant":
            messages.append({"role": "assistant", "content": _anthropic_blocks(turn)})
        else:
            messages.append({"role": "user", "content": turn.text})
    body: Body = {"model": p.model, "max_tokens": p.max_tokens}
    if p.cache_system:
        body["system"] = [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}]
    else:
        body["system"] = system
    body["messages"] = messages
    if tools:
        body["tools"] = [{"name": fn["name"], "description": fn["description"],
                          "input_schema": fn["parameters"]} for fn in tools]  # fmt: skip
    if p.temperature is not None:
        body["temperature"] = p.temperature
    if p.stream:
        body["stream"] = True
    return body


def _anthropic_blocks(turn: Turn) -> list[Body]:
    blocks: list[Body] = [{"type": "text", "text": turn.text}] if turn.text else []
    blocks.extend({"type": "tool_use", "id": anthropic_id(c.id), "name": c.name,
                   "input": c.input} for c in turn.tool_calls)  # fmt: skip
    return blocks


def usage(endpoint: str, u: Usage) -> Body:
    """The provider's raw usage object for normalised token counts."""
    if endpoint == "messages":
        return {"input_tokens": u.input - u.cache_read - u.cache_write,
                "cache_creation_input_tokens": u.cache_write,
                "cache_read_input_tokens": u.cache_read,
                "output_tokens": u.output, "service_tier": "standard"}  # fmt: skip
    if endpoint == "responses":
        return {"input_tokens": u.input, "input_tokens_details": {"cached_tokens": u.cache_read},
                "output_tokens": u.output,
                "output_tokens_details": {"reasoning_tokens": u.reasoning},
                "total_tokens": u.input + u.output}  # fmt: skip
    return {"prompt_tokens": u.input, "completion_tokens": u.output,
            "total_tokens": u.input + u.output,
            "prompt_tokens_details": {"cached_tokens": u.cache_read, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": u.reasoning, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0,
                                          "rejected_prediction_tokens": 0}}  # fmt: skip


@dataclass(slots=True)
class Reply:
    """What came back, normalised: the demo picks it, then renders the provider's body."""

    text: str | None
    tool_calls: tuple[ToolCall, ...]
    finish: str  # stop | length | tool_calls | content_filter | refusal


def response(
    endpoint: str, model: str, reply: Reply, u: Usage, *, ident: str, created: int
) -> Body:
    """The non-streaming response body (a stream reassembled into the same shape)."""
    if endpoint == "messages":
        return _messages_response(model, reply, u, ident)
    if endpoint == "responses":
        return _responses_response(model, reply, u, ident, created)
    return _chat_response(model, reply, u, ident, created)


def _chat_response(model: str, reply: Reply, u: Usage, ident: str, created: int) -> Body:
    refused = reply.finish == "refusal"
    message: Body = {"role": "assistant", "content": None if refused else reply.text,
                     "refusal": reply.text if refused else None, "annotations": []}  # fmt: skip
    if reply.tool_calls:
        message["tool_calls"] = [_chat_tool_call(c) for c in reply.tool_calls]
    choice = {"index": 0, "message": message, "logprobs": None,
              "finish_reason": _CHAT_FINISH[reply.finish]}  # fmt: skip
    return {"id": f"chatcmpl-{ident}", "object": "chat.completion", "created": created,
            "model": model, "choices": [choice], "usage": usage("chat.completions", u),
            "service_tier": "default", "system_fingerprint": f"fp_{ident[:10]}"}  # fmt: skip


def _responses_response(model: str, reply: Reply, u: Usage, ident: str, created: int) -> Body:
    output: list[Body] = []
    if u.reasoning:
        output.append({"id": f"rs_{ident}", "type": "reasoning", "summary": []})
    if reply.finish == "refusal":
        content: list[Body] = [{"type": "refusal", "refusal": reply.text}]
    else:
        content = [{"type": "output_text", "text": reply.text, "annotations": []}]
    if reply.text is not None:
        output.append({"id": f"msg_{ident}", "type": "message", "status": "completed",
                       "role": "assistant", "content": content})  # fmt: skip
    output.extend({"id": f"fc_{c.id.removeprefix('call_')}", "type": "function_call",
                   "status": "completed", "call_id": c.id, "name": c.name,
                   "arguments": c.arguments} for c in reply.tool_calls)  # fmt: skip
    incomplete = {"length": "max_output_tokens", "content_filter": "content_filter"}
    reason = incomplete.get(reply.finish)
    return {"id": f"resp_{ident}", "object": "response", "created_at": created,
            "status": "incomplete" if reason else "completed",
            "incomplete_details": {"reason": reason} if reason else None,
            "model": model, "output": output, "usage": usage("responses", u)}  # fmt: skip


def _messages_response(model: str, reply: Reply, u: Usage, ident: str) -> Body:
    content = _anthropic_blocks(Turn("assistant", reply.text, reply.tool_calls))
    return {"id": f"msg_01{ident[:22]}", "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": _ANTHROPIC_STOP[reply.finish],
            "stop_sequence": None, "usage": usage("messages", u)}  # fmt: skip


# HTTP errors as each provider words them: (error_type, http status) -> body.
def error_body(provider: str, error_type: str, status: int, *, model: str, ident: str) -> Body:
    if provider == "anthropic":
        kind, text = {
            "rate_limit": ("rate_limit_error", "This request would exceed the rate limit for "
                           "your organization of 400,000 input tokens per minute. For details, "
                           "refer to: https://docs.claude.com/en/api/rate-limits."),
            "overloaded": ("overloaded_error", "Overloaded"),
            "server_error": ("api_error", "Internal server error"),
        }[error_type]  # fmt: skip
        return {"type": "error", "error": {"type": kind, "message": text},
                "request_id": f"req_011{ident[:21]}"}  # fmt: skip
    if error_type == "rate_limit":
        text = (
            f"Rate limit reached for {model} in organization org-{ident[:24]} on tokens per "
            "min (TPM): Limit 2000000, Used 1998211, Requested 3012. Please try again in "
            "36ms. Visit https://platform.openai.com/account/rate-limits to learn more."
        )
        return {"error": {"message": text, "type": "tokens", "param": None,
                          "code": "rate_limit_exceeded"}}  # fmt: skip
    text = ("The server had an error while processing your request. Sorry about that!"
            if status == 500 else "Service Unavailable")  # fmt: skip
    return {"error": {"message": text, "type": "server_error", "param": None, "code": None}}
