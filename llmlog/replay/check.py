"""Requests a provider would reject, caught before sending: half-finished tool exchanges.

Every tool call the model made must be answered by its result right after it (Chat: tool
messages next; Messages: the next user turn; Responses: a ``function_call_output``), and
every result must answer a call. A replay of a call whose messages break that would fail
at the provider with a 400; here it fails with the place and what to do.
"""

from __future__ import annotations

from typing import Any

from llmlog.errors import UsageError

Body = dict[str, Any]
HINT = (
    "replay a later call of the same trace, which carries the tool's result "
    "(`llmlog trace ID` lists them)"
)


def check(endpoint: str, body: Body) -> None:
    """Raise UsageError naming the first problem of ``body``, if it has one."""
    found = problems(endpoint, body)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise UsageError(f"the provider would reject this request: {found[0]}{more}", hint=HINT)


def problems(endpoint: str, body: Body) -> list[str]:
    """What is wrong with the tool exchanges of ``body`` (empty when nothing is)."""
    if endpoint == "messages":
        return _messages(body.get("messages") or [])
    if endpoint == "responses":
        return _responses(body)
    return _chat(body.get("messages") or [])


def _chat(messages: list[Body]) -> list[str]:
    found: list[str] = []
    waiting: dict[str, str] = {}  # call id -> tool name
    for n, message in enumerate(messages, 1):
        role = message.get("role")
        if role == "tool":
            call_id = message.get("tool_call_id")
            if waiting.pop(call_id, None) is None:
                found.append(
                    f"message {n} is the result of tool call {call_id}, "
                    "which no assistant message just made"
                )
            continue
        found.extend(_unanswered(waiting, f"message {n}"))
        waiting = {}
        if role == "assistant":
            for call in message.get("tool_calls") or []:
                waiting[call.get("id")] = (call.get("function") or {}).get("name")
    return found + _unanswered(waiting, "the end of the messages")


def _messages(messages: list[Body]) -> list[str]:
    found: list[str] = []
    waiting: dict[str, str] = {}
    for n, message in enumerate(messages, 1):
        content = message.get("content")
        blocks = content if isinstance(content, list) else []
        if message.get("role") == "user":
            for block in blocks:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    call_id = block.get("tool_use_id")
                    if waiting.pop(call_id, None) is None:
                        found.append(
                            f"message {n} holds the result of tool_use {call_id}, "
                            "which the assistant turn before it did not make"
                        )
            found.extend(_unanswered(waiting, f"message {n}"))
            waiting = {}
        else:
            found.extend(_unanswered(waiting, f"message {n}"))
            waiting = {
                b.get("id"): b.get("name")
                for b in blocks
                if isinstance(b, dict) and b.get("type") == "tool_use"
            }
    return found + _unanswered(waiting, "the end of the messages")


def _responses(body: Body) -> list[str]:
    items = body.get("input")
    if not isinstance(items, list) or body.get("previous_response_id"):
        return []  # (the earlier turns live at the provider)
    calls: dict[str, str] = {}
    answered: set[str] = set()
    found = []
    for n, item in enumerate(items, 1):
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "function_call":
            calls[item.get("call_id")] = item.get("name")
        elif kind == "function_call_output":
            if item.get("call_id") not in calls:
                found.append(
                    f"input item {n} is the output of call {item.get('call_id')}, "
                    "which no function_call before it made"
                )
            answered.add(item.get("call_id"))
    waiting = {k: v for k, v in calls.items() if k not in answered}
    return found + _unanswered(waiting, "the end of the input")


def _unanswered(waiting: dict[str, str], where: str) -> list[str]:
    return [
        f"tool call {call_id} ({name}) has no result before {where}"
        for call_id, name in waiting.items()
    ]
