"""How one call, a trace and a followed tail look on the terminal (and as data).

Everything shown here comes from the store: it is printed as ``Text`` (never read as
markup) with control characters escaped (``output.printable``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from rich.text import Text

from llmlog.cli.output import (
    Col,
    Format,
    cell,
    emit_object,
    human,
    out,
    printable,
    write_csv,
    write_jsonl,
)
from llmlog.errors import NotFoundError
from llmlog.reports.conversation import conversation, depths, readable, tool_name

Row = dict[str, Any]

# A text longer than this shows its head only (unless --full): room for a long system
# prompt, bounded for a runaway output (a 4 MiB answer would take seconds to draw).
HEAD_CHARS = 8_000
HEAD_LINES = 200


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
                    out.print(cell("  ".join(human(row.get(c.key), c.kind) for c in columns)))
            elif fmt is Format.csv:
                write_csv(batch, header=header)
                header = False
            else:
                write_jsonl(batch)
    except KeyboardInterrupt:
        return


def show(call: Row, fmt: Format, *, full: bool = False) -> None:
    """One call: all its columns (request and response as stored) plus trace, replays and
    judge scores.

    The table view wraps each text in its panel, shows tool calls and tool results as
    their name and indented JSON, and (unless ``full``) shows the head of a long text
    and how to see the rest.
    """
    if fmt is not Format.table:
        emit_object(call, fmt)
        return
    from rich.table import Table

    rest = None if full else f"`llmlog show {call['id']} --full` (or `--format json`)"
    _print_panel(f"call {call['id']}", _who(call, full=full))
    if call.get("system_prompt"):
        _print_panel("system prompt", _bounded(call["system_prompt"], rest))
    for title, text in conversation(call.get("request") or {}):
        if not (title == "system" and text == call.get("system_prompt")):
            _print_panel(title, _bounded(text, rest))
    tools = (call.get("request") or {}).get("tools")
    if tools:
        names = ", ".join(tool_name(t) for t in tools)
        out.print(Text.assemble(("tools offered: ", "bold"), printable(names)), soft_wrap=False)
    if call.get("output_text"):
        _print_panel("output", _bounded(call["output_text"], rest))
    for tool_call in call.get("tool_calls") or []:
        if isinstance(tool_call, dict):  # ingested rows may hold any JSON here
            text = readable(tool_call.get("arguments"))
            _print_panel(f"tool call {tool_call.get('name')}", _bounded(text, rest))
    numbers = Table(show_header=False, box=None, pad_edge=False)
    numbers.add_column(style="bold")
    numbers.add_column()
    for label, value in _numbers(call):
        numbers.add_row(label, cell(value))
    out.print(numbers, soft_wrap=False)


def _print_panel(title: str, body: Text) -> None:
    from rich.panel import Panel

    # soft_wrap=False: the panel wraps its text at its edge instead of cropping it.
    out.print(Panel(body, title=cell(title), title_align="left"), soft_wrap=False)


def _bounded(text: str, rest: str | None) -> Text:
    """``text`` shown literally; past its head (when ``rest`` is given) a note instead."""
    cut = len(text) if rest is None else _head_length(text)
    shown = cell(text[:cut])
    if cut < len(text):
        shown.append(f"\n… {len(text) - cut:,} more characters: see them all with {rest}", "italic")
    return shown


def _head_length(text: str) -> int:
    """How much of ``text`` is its head: at most HEAD_CHARS characters and HEAD_LINES lines."""
    cut = min(len(text), HEAD_CHARS)
    end = -1
    for _ in range(HEAD_LINES):
        end = text.find("\n", end + 1, cut)
        if end < 0:
            return cut
    return end


def _who(call: Row, *, full: bool) -> Text:
    fields = [
        ("when", human(call["ts"], "time")),
        ("feature", call.get("feature")),
        ("prompt version", call.get("prompt_version")),
        ("tenant / user", f"{call.get('tenant_id') or '-'} / {call.get('user_id') or '-'}"),
        ("session", call.get("session_id")),
        ("model", f"{call['provider']} {call.get('model') or '-'} ({call['endpoint']})"),
        ("response model", call.get("response_model")),
        ("status", _status(call)),
    ]
    lines = [Text.assemble((f"{k}: ", "bold"), _cut(str(v), full)) for k, v in fields if v]
    return Text("\n").join(lines)


def _cut(text: str, full: bool) -> str:
    """A header value, escaped; past HEAD_CHARS cut short unless ``full`` (an error body)."""
    return printable(text if full or len(text) <= HEAD_CHARS else text[:HEAD_CHARS] + " …")


def _status(call: Row) -> str:
    if call["status"] == "error":
        code = f" HTTP {call['http_status']}" if call.get("http_status") else ""
        return f"error{code} {call.get('error_type') or ''}: {call.get('error_message') or ''}"
    return f"ok ({call.get('finish_reason') or 'unknown finish'})"


def _numbers(call: Row) -> list[tuple[str, str]]:
    rows = [
        ("ttft", _ttft(call)),
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
            priced = breakdown[part]
            rows.append((f"{label} cost", f"{human(priced['cost_usd'], 'usd')} "
                         f"({human(priced['tokens'], 'int')} tokens)"))  # fmt: skip
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
    for score in call.get("scores") or []:
        rows.append(("judge score", _score_line(score)))
    return rows


def _score_line(score: Row) -> str:
    """``85 (passed) by gpt-4o-mini, rubric support — the rationale`` or why it failed."""
    judged = f"by {score['judge_model']}, rubric {score['rubric']}"
    if score["status"] != "scored":
        return f"failed {judged}: {score.get('error') or ''}"
    verdict = "passed" if score.get("passed") else "not passed"
    return f"{human(score['score'], 'num')} ({verdict}) {judged} — {score.get('rationale') or ''}"


def _ttft(call: Row) -> str:
    if call.get("ttft_ms") is not None:
        return human(call["ttft_ms"], "ms")
    if not call.get("streamed"):
        return "none (not streamed: the answer came whole)"
    return "none (no content arrived)"


def _replay_line(replay: Row) -> str:
    return (
        f"{replay['id']} {replay.get('model') or '-'} {human(replay.get('latency_ms'), 'ms')} "
        f"{human(replay.get('cost_usd'), 'usd')} {replay['status']}"
    )


def trace(rows: list[Row], fmt: Format) -> None:
    """The trace as a tree (table) or as its calls with ``depth`` (data)."""
    if not rows:
        raise NotFoundError("no such trace")
    levels = depths(rows)
    if fmt is not Format.table:
        from llmlog.cli.output import emit_rows

        emit_rows([{**row, "depth": levels[row["id"]]} for row in rows], fmt)
        return
    from rich.tree import Tree

    total = sum((r["cost_usd"] or Decimal(0) for r in rows), Decimal(0))
    failed = sum(r["status"] == "error" for r in rows)
    span = (rows[-1]["ts"] - rows[0]["ts"]).total_seconds() * 1000 + (rows[-1]["latency_ms"] or 0)
    root = Tree(
        Text.assemble(
            (f"trace {printable(str(rows[0]['trace_id']))}", "bold"),
            f" — {len(rows)} calls, {human(total, 'usd')}, {human(span, 'ms')} wall, "
            f"{failed} failed",
        )
    )
    nodes: dict[Any, Tree] = {}
    for row in rows:
        parent = nodes.get(row["parent_id"], root)
        nodes[row["id"]] = parent.add(_node_label(row))
    out.print(root)


def _node_label(row: Row) -> Text:
    failed = row["status"] != "ok"
    status = (row["error_type"] or "error") if failed else "ok"
    label = (
        f"{human(row['id'], 'id')} {row.get('feature') or ''} {row.get('model') or '-'} "
        f"{human(row.get('latency_ms'), 'ms')} {human(row.get('cost_usd'), 'usd')} "
    )
    return Text.assemble(printable(label), (printable(status), "red" if failed else "green"))
