"""Anthropic messages: ``message_start`` ... ``message_stop`` streams and ``message`` bodies."""

from __future__ import annotations

import json
from typing import Any

from llmlog.capture import error_types, sse
from llmlog.capture.parsers import Parsed, text_of, tool_call

FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "refusal",
}
# Content blocks that are a tool the model invoked: run by the application (tool_use) or
# by Anthropic (server_tool_use: web search, code execution, ...; mcp_tool_use: MCP).
TOOL_USES = ("tool_use", "server_tool_use", "mcp_tool_use")
PARTIAL_JSON = "partial_json"
DELTA_KEYS = {
    "text_delta": "text",
    "thinking_delta": "thinking",
    "signature_delta": "signature",
}


def reassemble(body: str) -> dict[str, Any]:
    """The ``message`` body a stream of events adds up to."""
    message: dict[str, Any] = {}
    blocks: dict[int, dict[str, Any]] = {}
    # Text arrives a few characters an event: kept as pieces, joined once at the end.
    pieces: dict[tuple[int, str], list[str]] = {}
    for event in sse.json_events(body):
        kind = event.get("type")
        if kind == "message_start":
            message = event.get("message") or {}
        elif kind == "content_block_start":
            blocks[event.get("index", 0)] = event.get("content_block") or {}
        elif kind == "content_block_delta":
            _apply_delta(blocks, pieces, event)
        elif kind == "message_delta":
            message.update(event.get("delta") or {})
            usage = {k: v for k, v in (event.get("usage") or {}).items() if v is not None}
            message["usage"] = {**(message.get("usage") or {}), **usage}
        elif kind == "error":
            message["error"] = event.get("error")
    for (index, key), parts in pieces.items():
        text = "".join(parts)
        if key != PARTIAL_JSON:
            blocks[index][key] = blocks[index].get(key, "") + text
            continue
        try:
            blocks[index]["input"] = json.loads(text) if text else {}
        except ValueError:
            blocks[index]["input"] = text  # a stream cut off mid-arguments
    if message or blocks:
        message["content"] = [blocks[i] for i in sorted(blocks)]
    return message


def _apply_delta(
    blocks: dict[int, dict[str, Any]],
    pieces: dict[tuple[int, str], list[str]],
    event: dict[str, Any],
) -> None:
    index = event.get("index", 0)
    block = blocks.setdefault(index, {})
    delta = event.get("delta") or {}
    kind = delta.get("type")
    if kind == "input_json_delta":
        pieces.setdefault((index, PARTIAL_JSON), []).append(delta.get(PARTIAL_JSON) or "")
    elif kind == "citations_delta":
        block.setdefault("citations", []).append(delta.get("citation"))
    elif kind in DELTA_KEYS:
        key = DELTA_KEYS[kind]
        pieces.setdefault((index, key), []).append(delta.get(key) or "")


def normalise(request: dict[str, Any], response: dict[str, Any] | None) -> Parsed:
    parsed = Parsed(system_prompt=text_of(request.get("system")))
    if not response:
        return parsed
    parsed.response_model = response.get("model")
    blocks = response.get("content") or []
    texts = [
        b["text"] for b in blocks if b.get("type") == "text" and isinstance(b.get("text"), str)
    ]
    parsed.output_text = "".join(texts) if texts else None
    parsed.tool_calls = [
        tool_call(
            b.get("id"),
            b.get("name"),
            b.get("input"),
            provider_run=b["type"] != "tool_use",
            server=b.get("server_name"),
        )
        for b in blocks
        if b.get("type") in TOOL_USES
    ] or None
    reason = response.get("stop_reason")
    if reason is not None:
        parsed.finish_reason = FINISH.get(reason, "other")
    if response.get("error"):
        parsed.finish_reason = "error"
        parsed.failure = error_types.from_body(response, None)
    usage = response.get("usage")
    if isinstance(usage, dict):
        read = usage.get("cache_read_input_tokens") or 0
        write = usage.get("cache_creation_input_tokens") or 0
        parsed.input_tokens = (usage.get("input_tokens") or 0) + read + write
        parsed.output_tokens = usage.get("output_tokens")
        parsed.cache_read_tokens = read
        parsed.cache_write_tokens = write
    return parsed


def finished(body: str) -> bool:
    """Whether the stream reached ``message_stop`` (else the caller abandoned it)."""
    return "message_stop" in body
