"""OpenAI chat completions: ``chat.completion.chunk`` streams and ``chat.completion`` bodies."""

from __future__ import annotations

from typing import Any

from llmlog.capture import sse
from llmlog.capture.parsers import Parsed, joined, text_of

FINISH = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


def reassemble(body: str) -> dict[str, Any]:
    """The ``chat.completion`` body a stream of chunks adds up to."""
    out: dict[str, Any] = {"object": "chat.completion"}
    choices: dict[int, dict[str, Any]] = {}
    for chunk in sse.json_events(body):
        if "error" in chunk and "choices" not in chunk:
            out["error"] = chunk["error"]
            continue
        for key in ("id", "created", "model", "system_fingerprint", "service_tier", "usage"):
            if chunk.get(key) is not None:
                out[key] = chunk[key]
        for part in chunk.get("choices") or []:
            _add_choice_delta(choices, part)
    out["choices"] = [choices[i] for i in sorted(choices)]
    return out


def _add_choice_delta(choices: dict[int, dict[str, Any]], part: dict[str, Any]) -> None:
    index = part.get("index", 0)
    choice = choices.setdefault(
        index,
        {
            "index": index,
            "message": {"role": "assistant", "content": None, "refusal": None},
            "logprobs": None,
            "finish_reason": None,
        },
    )
    message = choice["message"]
    delta = part.get("delta") or {}
    if delta.get("role"):
        message["role"] = delta["role"]
    for key in ("content", "refusal"):
        if delta.get(key):  # the role chunk's "" is not content
            message[key] = (message[key] or "") + delta[key]
    for call in delta.get("tool_calls") or []:
        _add_tool_call_delta(message.setdefault("tool_calls", []), call)
    if part.get("finish_reason") is not None:
        choice["finish_reason"] = part["finish_reason"]
    logprobs = part.get("logprobs")
    if logprobs:
        merged = choice["logprobs"] or {"content": None, "refusal": None}
        for key in ("content", "refusal"):
            if logprobs.get(key):
                merged[key] = (merged[key] or []) + logprobs[key]
        choice["logprobs"] = merged


def _add_tool_call_delta(calls: list[dict[str, Any]], delta: dict[str, Any]) -> None:
    index = delta.get("index", len(calls))
    while len(calls) <= index:
        calls.append({"id": None, "type": "function", "function": {"name": "", "arguments": ""}})
    call = calls[index]
    if delta.get("id"):
        call["id"] = delta["id"]
    if delta.get("type"):
        call["type"] = delta["type"]
    function = delta.get("function") or {}
    if function.get("name"):
        call["function"]["name"] += function["name"]
    if function.get("arguments"):
        call["function"]["arguments"] += function["arguments"]


def normalise(request: dict[str, Any], response: dict[str, Any] | None) -> Parsed:
    messages = request.get("messages") or []
    parsed = Parsed(
        system_prompt=joined(
            [
                text_of(m.get("content"))
                for m in messages
                if isinstance(m, dict) and m.get("role") in ("system", "developer")
            ]
        )
    )
    if not response:
        return parsed
    parsed.response_model = response.get("model")
    choices = response.get("choices") or []
    if choices:
        choice = choices[0]
        message = choice.get("message") or {}
        parsed.output_text = message.get("content") or message.get("refusal")
        calls = message.get("tool_calls") or []
        parsed.tool_calls = [
            {
                "id": c.get("id"),
                "name": (c.get("function") or {}).get("name"),
                "arguments": (c.get("function") or {}).get("arguments"),
            }
            for c in calls
        ] or None
        reason = choice.get("finish_reason")
        if message.get("refusal"):
            parsed.finish_reason = "refusal"
        elif reason is not None:
            parsed.finish_reason = FINISH.get(reason, "other")
    usage = response.get("usage")
    if isinstance(usage, dict):
        parsed.input_tokens = usage.get("prompt_tokens")
        parsed.output_tokens = usage.get("completion_tokens")
        parsed.cache_read_tokens = (usage.get("prompt_tokens_details") or {}).get(
            "cached_tokens", 0
        )
        parsed.cache_write_tokens = 0
        parsed.reasoning_tokens = (usage.get("completion_tokens_details") or {}).get(
            "reasoning_tokens"
        )
    return parsed


def finished(body: str) -> bool:
    """Whether the stream reached its end marker (else the caller abandoned it)."""
    return "data: [DONE]" in body
