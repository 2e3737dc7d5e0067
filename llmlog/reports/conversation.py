"""A stored request read as a conversation: each message, tool call and tool result as
(title, text); and a trace's calls as a tree (each call's depth). Shared by ``llmlog show``
and ``llmlog trace`` on the terminal and by ``llmlog ui`` in the browser."""

from __future__ import annotations

import json
from typing import Any

Row = dict[str, Any]


def conversation(request: Row) -> list[tuple[str, str]]:
    """(title, text) of each message, tool call and tool result of a request body.

    Reads Chat Completions (``messages``, assistant ``tool_calls``, ``tool`` messages),
    Messages (``tool_use`` and ``tool_result`` blocks) and Responses (``input`` items,
    ``function_call`` and ``function_call_output``).
    """
    items = request.get("messages")
    if items is None:
        items = request.get("input")
    if isinstance(items, str):
        return [("user", items)]
    blocks: list[tuple[str, str]] = []
    for item in items or []:
        if isinstance(item, dict):
            blocks.extend(_item_blocks(item))
    return blocks


def _item_blocks(item: Row) -> list[tuple[str, str]]:
    kind = item.get("type")
    if kind in ("function_call", "custom_tool_call"):
        return [
            (f"tool call {item.get('name')}", readable(item.get("arguments", item.get("input"))))
        ]
    if kind in ("function_call_output", "custom_tool_call_output"):
        return [(_titled("tool result", item.get("call_id")), readable(item.get("output")))]
    role = str(item.get("role") or kind or "message")
    content = item.get("content")
    if role == "tool":
        return [(_titled("tool result", item.get("tool_call_id")), readable(content))]
    parts = content if isinstance(content, list) else [content]
    blocks: list[tuple[str, str]] = []
    texts = [_part_text(p) for p in parts if _part_kind(p) not in ("tool_use", "tool_result")]
    if any(texts):
        blocks.append((role, "\n".join(t for t in texts if t)))
    for part in parts:
        if _part_kind(part) == "tool_use":
            blocks.append((f"tool call {part.get('name')}", readable(part.get("input"))))
        elif _part_kind(part) == "tool_result":
            title = _titled("tool result", part.get("tool_use_id"))
            blocks.append((title, readable(part.get("content"))))
    for call in item.get("tool_calls") or []:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            title = f"tool call {function.get('name')}"
            blocks.append((title, readable(function.get("arguments"))))
    return blocks or [(role, "")]


def _titled(label: str, ref: Any) -> str:
    return f"{label} {ref}" if ref else label


def _part_kind(part: Any) -> str | None:
    return part.get("type") if isinstance(part, dict) else None


def _part_text(part: Any) -> str:
    if part is None:
        return ""
    if isinstance(part, str):
        return part
    if isinstance(part, dict) and isinstance(part.get("text"), str):
        return part["text"]
    return json.dumps(part, ensure_ascii=False)


def readable(value: Any) -> str:
    """Tool arguments or a tool result for a person: JSON indented, text parts joined."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return (
            json.dumps(parsed, indent=2, ensure_ascii=False)
            if isinstance(parsed, dict | list)
            else value
        )
    if (
        isinstance(value, list)
        and value
        and all(isinstance(p, dict) and "text" in p for p in value)
    ):
        return "\n".join(str(p["text"]) for p in value)
    return "" if value is None else json.dumps(value, indent=2, ensure_ascii=False)


def tool_name(tool: Any) -> str:
    if not isinstance(tool, dict):
        return "?"
    function = tool.get("function")
    nested = function.get("name") if isinstance(function, dict) else None
    return str(tool.get("name") or nested or "?")


def depths(rows: list[Row]) -> dict[Any, int]:
    """Each call's depth in its trace (0 for a root, or a call whose parent is not shown);
    ``rows`` in time order."""
    found: dict[Any, int] = {}
    for row in rows:
        found[row["id"]] = found[row["parent_id"]] + 1 if row["parent_id"] in found else 0
    return found
