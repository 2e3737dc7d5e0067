"""OpenAI responses: ``response.*`` event streams and ``response`` bodies."""

from __future__ import annotations

from typing import Any

from llmlog.capture import error_types, sse
from llmlog.capture.parsers import Parsed, joined, text_of, tool_call

TERMINAL = ("response.completed", "response.incomplete", "response.failed")
INCOMPLETE = {"max_output_tokens": "length", "content_filter": "content_filter"}
# Output items ``*_call`` are tools the model invoked; these the application runs (the
# response waits for their output), every other one OpenAI ran (web_search_call,
# file_search_call, mcp_call, code_interpreter_call, image_generation_call, ...).
CLIENT_RUN = frozenset(
    ("function_call", "custom_tool_call", "computer_call", "local_shell_call", "shell_call",
     "apply_patch_call")
)  # fmt: skip
BUILT_IN_ARGUMENTS = ("action", "queries", "code", "operation")


# Where a delta's text goes: (output index, content index or None for the item, key).
Place = tuple[int, int | None, str]


def reassemble(body: str) -> dict[str, Any]:
    """The final ``response`` object; for a cut-off stream, what had arrived of it."""
    snapshot: dict[str, Any] = {}
    items: dict[int, dict[str, Any]] = {}
    # Text arrives a few characters an event: kept as pieces, joined once at the end.
    pieces: dict[Place, list[str]] = {}
    for event in sse.json_events(body):
        kind = event.get("type", "")
        if kind in TERMINAL:
            return dict(event.get("response") or {})
        if kind == "error":
            snapshot = {**snapshot, "status": "failed", "error": _error_of(event)}
        elif isinstance(event.get("response"), dict):
            snapshot = dict(event["response"])
        else:
            _apply(items, pieces, kind, event)
    for (index, part, key), texts in pieces.items():
        target = items[index] if part is None else items[index]["content"][part]
        target[key] = target.get(key, "") + "".join(texts)
    if items:
        snapshot["output"] = [items[i] for i in sorted(items)]
    return snapshot


def _error_of(event: dict[str, Any]) -> dict[str, Any]:
    """A stream ``error`` event's error: its nested error object, else the event's own
    ``code``, ``message`` and ``param`` (its ``type`` is the event's, "error")."""
    error = event.get("error")
    if isinstance(error, dict):
        return error
    return {key: event.get(key) for key in ("code", "message", "param")}


def _apply(
    items: dict[int, dict[str, Any]],
    pieces: dict[Place, list[str]],
    kind: str,
    event: dict[str, Any],
) -> None:
    index = event.get("output_index", 0)
    if kind in ("response.output_item.added", "response.output_item.done"):
        items[index] = event.get("item") or {}
        _forget(pieces, index)  # (a done item holds its whole text)
        return
    item = items.setdefault(index, {})
    if kind == "response.content_part.added":
        parts = item.setdefault("content", [])
        while len(parts) <= event.get("content_index", 0):
            parts.append({})
        parts[event.get("content_index", 0)] = dict(event.get("part") or {})
        _forget(pieces, index, event.get("content_index", 0))
    elif kind in ("response.output_text.delta", "response.refusal.delta"):
        key = "text" if kind == "response.output_text.delta" else "refusal"
        parts = item.setdefault("content", [])
        while len(parts) <= event.get("content_index", 0):
            parts.append({"type": "output_text" if key == "text" else "refusal"})
        place = (index, event.get("content_index", 0), key)
        pieces.setdefault(place, []).append(event.get("delta") or "")
    elif kind == "response.function_call_arguments.delta":
        pieces.setdefault((index, None, "arguments"), []).append(event.get("delta") or "")


def _forget(pieces: dict[Place, list[str]], index: int, part: int | None = None) -> None:
    """Drop the pieces of an item (or of one of its content parts) just replaced whole."""
    for place in [p for p in pieces if p[0] == index and (part is None or p[1] == part)]:
        del pieces[place]


def _system_prompt(request: dict[str, Any]) -> str | None:
    parts = [request.get("instructions") if isinstance(request.get("instructions"), str) else None]
    entries = request.get("input")
    if isinstance(entries, list):
        parts += [
            text_of(e.get("content"))
            for e in entries
            if isinstance(e, dict) and e.get("role") in ("system", "developer")
        ]
    return joined(parts)


def normalise(request: dict[str, Any], response: dict[str, Any] | None) -> Parsed:
    parsed = Parsed(system_prompt=_system_prompt(request))
    if not response:
        return parsed
    parsed.response_model = response.get("model")
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    refused = False
    for item in response.get("output") or []:
        kind = item.get("type")
        if kind == "message":
            for part in item.get("content") or []:
                if part.get("type") == "refusal" or "refusal" in part:
                    refused = True
                    texts.append(part.get("refusal") or "")
                elif isinstance(part.get("text"), str):
                    texts.append(part["text"])
        elif isinstance(kind, str) and kind.endswith("_call"):
            calls.append(_tool_call(item, kind))
    parsed.output_text = "".join(texts) if texts else None
    parsed.tool_calls = calls or None
    called = any(c["run_by"] == "client" for c in calls)  # (the application must act)
    parsed.finish_reason = _finish(response, refused=refused, called=called)
    if response.get("status") == "failed":
        parsed.failure = error_types.from_body(response, None)
    usage = response.get("usage")
    if isinstance(usage, dict):
        parsed.input_tokens = usage.get("input_tokens")
        parsed.output_tokens = usage.get("output_tokens")
        parsed.cache_read_tokens = (usage.get("input_tokens_details") or {}).get("cached_tokens", 0)
        parsed.cache_write_tokens = 0
        parsed.reasoning_tokens = (usage.get("output_tokens_details") or {}).get("reasoning_tokens")
    return parsed


def _tool_call(item: dict[str, Any], kind: str) -> dict[str, Any]:
    """An output item ``*_call``: a tool the model invoked. Its arguments are what it
    sent the tool (``arguments``, a custom tool's ``input``; a built-in tool's
    ``action``, ``queries``, ``code`` or ``operation``)."""
    arguments = item.get("arguments", item.get("input"))
    if arguments is None:
        arguments = {k: item[k] for k in BUILT_IN_ARGUMENTS if item.get(k) is not None} or None
    return tool_call(
        item.get("call_id") or item.get("id"),
        item.get("name") or kind.removesuffix("_call"),
        arguments,
        provider_run=kind not in CLIENT_RUN,
        server=item.get("server_label"),
    )


def _finish(response: dict[str, Any], *, refused: bool, called: bool) -> str | None:
    status = response.get("status")
    if status == "completed":
        if refused:
            return "refusal"
        return "tool_calls" if called else "stop"
    if status == "incomplete":
        reason = (response.get("incomplete_details") or {}).get("reason")
        return INCOMPLETE.get(reason or "", "other")
    if status == "failed":
        return "error"
    if status in ("cancelled",):
        return "other"
    return None


def finished(body: str) -> bool:
    """Whether the stream reached a terminal event (else the caller abandoned it)."""
    return any(f'"{kind}"' in body for kind in TERMINAL)
