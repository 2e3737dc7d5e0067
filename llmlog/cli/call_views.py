"""How one call, a trace and a followed tail look on the terminal (and as data)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from llmlog.cli.output import Col, Format, emit_object, human, out, write_csv, write_jsonl
from llmlog.errors import NotFoundError

Row = dict[str, Any]


def follow(
    batches: Iterable[list[Row]],
    fmt: Format,
    decorate: Callable[[list[Row]], list[Row]],
    columns: Sequence[Col],
) -> None:
    """Print batches of new calls until Ctrl-C, which ends quietly (exit 0)."""
    header = True
    try:
        for batch in batches:
            if fmt is Format.table:
                for row in decorate(batch):
                    out.print("  ".join(human(row.get(c.key), c.kind) for c in columns))
            elif fmt is Format.csv:
                write_csv(batch, header=header)
                header = False
            else:
                write_jsonl(batch)
    except KeyboardInterrupt:
        return


def show(call: Row, fmt: Format) -> None:
    """One call: all its columns (request and response as stored) plus trace and replays."""
    if fmt is not Format.table:
        emit_object(call, fmt)
        return
    from rich.panel import Panel
    from rich.table import Table

    out.print(Panel(_who(call), title=f"call {call['id']}", title_align="left"))
    if call.get("system_prompt"):
        out.print(Panel(call["system_prompt"], title="system prompt", title_align="left"))
    for role, text in _messages(call.get("request") or {}):
        if not (role == "system" and text == call.get("system_prompt")):
            out.print(Panel(text, title=role, title_align="left"))
    tools = (call.get("request") or {}).get("tools")
    if tools:
        names = ", ".join(_tool_name(t) for t in tools)
        out.print(f"[bold]tools offered:[/bold] {names}")
    if call.get("output_text"):
        out.print(Panel(call["output_text"], title="output", title_align="left"))
    for tool_call in call.get("tool_calls") or []:
        out.print(
            Panel(str(tool_call.get("arguments")), title=f"tool call {tool_call.get('name')}")
        )
    numbers = Table(show_header=False, box=None, pad_edge=False)
    numbers.add_column(style="bold")
    numbers.add_column()
    for label, value in _numbers(call):
        numbers.add_row(label, value)
    out.print(numbers)


def _who(call: Row) -> str:
    fields = [
        ("when", human(call["ts"], "time")),
        ("feature", call.get("feature")),
        ("prompt version", call.get("prompt_version")),
        ("tenant / user", f"{call.get('tenant_id') or '-'} / {call.get('user_id') or '-'}"),
        ("session", call.get("session_id")),
        ("model", f"{call['provider']} {call.get('model')} ({call['endpoint']})"),
        ("response model", call.get("response_model")),
        ("status", _status(call)),
    ]
    return "\n".join(f"[bold]{k}:[/bold] {v}" for k, v in fields if v)


def _status(call: Row) -> str:
    if call["status"] == "error":
        code = f" HTTP {call['http_status']}" if call.get("http_status") else ""
        return f"error{code} {call.get('error_type') or ''}: {call.get('error_message') or ''}"
    return f"ok ({call.get('finish_reason') or 'unknown finish'})"


def _numbers(call: Row) -> list[tuple[str, str]]:
    rows = [
        ("ttft", human(call.get("ttft_ms"), "ms")),
        ("latency", human(call.get("latency_ms"), "ms")),
        ("streamed", "yes" if call.get("streamed") else "no"),
    ]
    breakdown = call.get("cost_breakdown")
    if breakdown:
        for part, label in (
            ("input", "input"),
            ("cache_read", "cached input"),
            ("cache_write", "cache write"),
            ("output", "output"),
        ):
            cell = breakdown[part]
            rows.append((f"{label} cost", f"{human(cell['cost_usd'], 'usd')} "
                         f"({human(cell['tokens'], 'int')} tokens)"))  # fmt: skip
    if not breakdown:
        rows.append(("cost breakdown", "not priceable (no usage in the stored response)"))
    rows.append(("total cost", human(call.get("cost_usd"), "usd") or "unknown"))
    if call.get("reasoning_tokens"):
        rows.append(("reasoning tokens", human(call["reasoning_tokens"], "int")))
    if call.get("feedback") is not None:
        rows.append(("feedback", f"{call['feedback']:+d} {call.get('feedback_note') or ''}"))
    place = call["trace"]
    rows.append(("trace", f"{place['trace_id']} — call {place['position']} of {place['calls']}"))
    if call.get("parent_id"):
        rows.append(("parent", str(call["parent_id"])))
    if place["children"]:
        rows.append(("children", ", ".join(str(c) for c in place["children"])))
    if call.get("replay_of"):
        rows.append(("replay of", str(call["replay_of"])))
    for replay in call["replays"]:
        rows.append(("replayed as", _replay_line(replay)))
    return rows


def _replay_line(replay: Row) -> str:
    return (
        f"{replay['id']} {replay.get('model')} {human(replay.get('latency_ms'), 'ms')} "
        f"{human(replay.get('cost_usd'), 'usd')} {replay['status']}"
    )


def _messages(request: Row) -> list[tuple[str, str]]:
    """(role, text) for each message of a Chat Completions, Messages or Responses body."""
    messages = request.get("messages")
    if messages is None:
        messages = request.get("input")
    if isinstance(messages, str):
        return [("user", messages)]
    shown = []
    for message in messages or []:
        if isinstance(message, dict):
            shown.append((str(message.get("role", "message")), _text(message.get("content"))))
    return shown


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [
            part.get("text") if isinstance(part, dict) and "text" in part else json.dumps(part)
            for part in content
        ]
        return "\n".join(str(p) for p in parts)
    return "" if content is None else json.dumps(content)


def _tool_name(tool: Any) -> str:
    if isinstance(tool, dict):
        return str(tool.get("name") or (tool.get("function") or {}).get("name") or "?")
    return "?"


def trace(rows: list[Row], fmt: Format) -> None:
    """The trace as a tree (table) or as its calls with ``depth`` (data)."""
    if not rows:
        raise NotFoundError("no such trace")
    depths = _depths(rows)
    if fmt is not Format.table:
        from llmlog.cli.output import emit_rows

        emit_rows([{**row, "depth": depths[row["id"]]} for row in rows], fmt)
        return
    from rich.tree import Tree

    total = sum((r["cost_usd"] or Decimal(0) for r in rows), Decimal(0))
    failed = sum(r["status"] == "error" for r in rows)
    span = (rows[-1]["ts"] - rows[0]["ts"]).total_seconds() * 1000 + (rows[-1]["latency_ms"] or 0)
    root = Tree(
        f"[bold]trace {_trace_id(rows)}[/bold] — {len(rows)} calls, "
        f"{human(total, 'usd')}, {human(span, 'ms')} wall, {failed} failed"
    )
    nodes: dict[Any, Tree] = {}
    for row in rows:
        parent = nodes.get(row["parent_id"], root)
        nodes[row["id"]] = parent.add(_node_label(row))
    out.print(root)


def _trace_id(rows: list[Row]) -> str:
    return str(rows[0]["trace_id"])


def _node_label(row: Row) -> str:
    status = (
        "[green]ok[/green]"
        if row["status"] == "ok"
        else f"[red]{row['error_type'] or 'error'}[/red]"
    )
    return (
        f"{human(row['id'], 'id')} {row.get('feature') or ''} {row.get('model')} "
        f"{human(row.get('latency_ms'), 'ms')} {human(row.get('cost_usd'), 'usd')} {status}"
    )


def _depths(rows: list[Row]) -> dict[Any, int]:
    depths: dict[Any, int] = {}
    for row in rows:
        depths[row["id"]] = (
            depths.get(row["parent_id"], -1) + 1 if row["parent_id"] in depths else 0
        )
    return depths
