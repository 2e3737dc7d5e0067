"""OpenAI chat completions: ``chat.completion.chunk`` streams and ``chat.completion`` bodies."""

from __future__ import annotations

from typing import Any

from llmlog.capture import error_types, sse
from llmlog.capture.parsers import Parsed, joined, text_of, tool_call

FINISH = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


HEAD_KEYS = ("id", "created", "model", "system_fingerprint", "service_tier", "usage")


def reassemble(body: str) -> dict[str, Any]:
    """The ``chat.completion`` body a stream of chunks adds up to. (Runs for every event
    of every captured stream, hundreds for a long answer: a delta is read by the keys it
    has, not looked up for every key it might have.)"""
    out: dict[str, Any] = {"object": "chat.completion"}
    choices: dict[int, _Choice] = {}
    for chunk in sse.json_events(body):
        if "error" in chunk and "choices" not in chunk:
            out["error"] = chunk["error"]
            continue
        for key in HEAD_KEYS:
            value = chunk.get(key)
            if value is not None:
                out[key] = value
        for part in chunk.get("choices") or ():
            index = part.get("index", 0)
            choice = choices.get(index)
            if choice is None:
                choice = choices[index] = _Choice(index)
            choice.add(part)
    out["choices"] = [choices[i].body() for i in sorted(choices)]
    return out


class _Choice:
    """One choice's deltas so far. Text arrives a few characters a chunk: it is kept as
    pieces and joined once, at the end (adding each piece to a string would copy the
    text so far every time)."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.role = "assistant"
        self.text: dict[str, list[str]] = {"content": [], "refusal": []}
        self.tool_calls: list[dict[str, Any]] = []
        self.tool_text: list[dict[str, list[str]]] = []  # name and arguments pieces per call
        self.finish_reason: str | None = None
        self.logprobs: dict[str, list[Any]] | None = None

    def add(self, part: dict[str, Any]) -> None:
        for key, value in (part.get("delta") or {}).items():
            if not value:  # the role chunk's "" is not content
                continue
            pieces = self.text.get(key)
            if pieces is not None:
                pieces.append(value)
            elif key == "role":
                self.role = value
            elif key == "tool_calls":
                for call in value:
                    self._add_tool_call(call)
        if part.get("finish_reason") is not None:
            self.finish_reason = part["finish_reason"]
        logprobs = part.get("logprobs")
        if logprobs:
            merged = self.logprobs = self.logprobs or {"content": [], "refusal": []}
            for key, items in merged.items():
                items.extend(logprobs.get(key) or ())

    def _add_tool_call(self, delta: dict[str, Any]) -> None:
        index = delta.get("index", len(self.tool_calls))
        while len(self.tool_calls) <= index:
            self.tool_calls.append({"id": None, "type": "function", "function": {}})
            self.tool_text.append({"name": [], "arguments": []})
        call = self.tool_calls[index]
        if delta.get("id"):
            call["id"] = delta["id"]
        if delta.get("type"):
            call["type"] = delta["type"]
        function = delta.get("function") or {}
        for key, pieces in self.tool_text[index].items():
            if function.get(key):
                pieces.append(function[key])

    def body(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": self.role}
        for key, pieces in self.text.items():
            message[key] = "".join(pieces) or None
        if self.tool_calls:
            message["tool_calls"] = [
                {**call, "function": {k: "".join(v) for k, v in text.items()}}
                for call, text in zip(self.tool_calls, self.tool_text, strict=True)
            ]
        logprobs = None
        if self.logprobs is not None:
            logprobs = {k: v or None for k, v in self.logprobs.items()}
        return {
            "index": self.index,
            "message": message,
            "logprobs": logprobs,
            "finish_reason": self.finish_reason,
        }


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
        parsed.tool_calls = [_tool_call(c) for c in calls if isinstance(c, dict)] or None
        reason = choice.get("finish_reason")
        if message.get("refusal"):
            parsed.finish_reason = "refusal"
        elif reason is not None:
            parsed.finish_reason = FINISH.get(reason, "other")
    if response.get("error"):  # a stream that failed after its 200: an error chunk
        parsed.finish_reason = "error"
        parsed.failure = error_types.from_body(response, None)
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


def _tool_call(call: dict[str, Any]) -> dict[str, Any]:
    """A function (or custom) tool call: chat completions has no provider-run tools."""
    if call.get("type") == "custom":
        custom = call.get("custom") or {}
        return tool_call(
            call.get("id"), custom.get("name"), custom.get("input"), provider_run=False
        )
    function = call.get("function") or {}
    return tool_call(
        call.get("id"), function.get("name"), function.get("arguments"), provider_run=False
    )
