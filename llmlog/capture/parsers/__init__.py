"""Provider parsers: a captured body (JSON or SSE) to the non-streaming shape + columns.

Each endpoint module offers ``reassemble(sse_body) -> dict`` (the stream rebuilt into the
body the non-streaming endpoint returns) and ``normalise(request, response) -> Parsed``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from llmlog.capture.error_types import Failure

FINISH_REASONS = ("stop", "length", "tool_calls", "content_filter", "refusal", "error", "other")


@dataclass
class Parsed:
    """The normalised columns of one response (all optional)."""

    system_prompt: str | None = None
    output_text: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    finish_reason: str | None = None
    response_model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None
    failure: Failure | None = None  # an error the body reports (a stream's error event, ...)
    extra: dict[str, Any] = field(default_factory=dict)

    def columns(self) -> dict[str, Any]:
        """The call record's columns these fill (all but ``failure`` and ``extra``)."""
        return {name: getattr(self, name) for name in COLUMNS}


COLUMNS = ("response_model", "system_prompt", "output_text", "tool_calls", "finish_reason",
           "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
           "reasoning_tokens")  # fmt: skip


def module_for(endpoint: str) -> ModuleType:
    if not _MODULES:  # imported on first use (a call's build, on the writer's thread)
        from llmlog.capture.parsers import anthropic_messages, openai_chat, openai_responses

        _MODULES.update(
            {
                "chat.completions": openai_chat,
                "responses": openai_responses,
                "messages": anthropic_messages,
            }
        )
    return _MODULES[endpoint]


_MODULES: dict[str, ModuleType] = {}


def text_of(content: Any) -> str | None:
    """Plain text of a message ``content``: a string, or the text parts of a list."""
    if content is None:
        return None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[str] = [
            p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        ]
        return "\n".join(parts) if parts else None
    return None


def joined(parts: list[str | None]) -> str | None:
    kept = [p for p in parts if p]
    return "\n\n".join(kept) if kept else None


def tool_call(
    call_id: Any, name: Any, arguments: Any, *, provider_run: bool, server: Any = None
) -> dict[str, Any]:
    """One entry of ``tool_calls``: every tool the model invoked, whoever runs it.

    ``run_by`` is ``client`` for a tool the application runs (a function, a custom tool:
    the call waits for its result) and ``provider`` for one the provider ran itself (web
    search, file search, code interpreter, an MCP server); ``arguments`` is the JSON text
    of what the model sent it; ``server`` names the MCP server, for an MCP tool."""
    call = {
        "id": call_id,
        "name": name,
        "arguments": None if arguments is None else arguments_text(arguments),
        "run_by": "provider" if provider_run else "client",
    }
    if server is not None:
        call["server"] = server
    return call


def arguments_text(value: Any) -> str:
    """Tool-call arguments as the JSON text OpenAI uses (Anthropic sends an object)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
