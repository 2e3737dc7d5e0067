"""How a replay looks: the two answers side by side with word changes marked, the tool-call
changes, the numbers with deltas, the verdict; or all of it as JSON.

Stored and generated text is untrusted: it goes into Rich ``Text`` objects (never parsed
as markup) with control characters shown escaped; JSON keeps it exact.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.text import Text

from llmlog.cli.output import dumps, err, human, jsonable, message, out, printable
from llmlog.replay.diff import WORD, Side, TextDiff

if TYPE_CHECKING:
    from llmlog.replay import Plan, Report
    from llmlog.replay.batch import Item, Summary
    from llmlog.replay.send import Outcome

MOST_FAILURES = 10  # failures listed in a batch's summary table (JSON lists all)


def warn(text: str) -> None:
    message(f"llmlog: warning: {text}")


def plan(planned: Plan, as_json: bool) -> None:
    """A dry run: the request body on stdout (JSON), what it would cost on stderr."""
    request = planned.request
    if as_json:
        print(
            dumps(
                {
                    "dry_run": True,
                    "provider": request.provider,
                    "endpoint": request.endpoint,
                    "request": request.body,
                    "warnings": list(request.warnings),
                    "estimated_cost_usd": planned.estimated_cost_usd,
                },
                indent=2,
            )
        )
        return
    for note in request.warnings:
        warn(note)
    sys.stdout.write(dumps(request.body, indent=2) + "\n")
    cost = human(planned.estimated_cost_usd, "usd") or "unknown (no price for the model)"
    model = printable(str(request.body.get("model")))
    err.print(
        Text(
            f"dry run, nothing sent: {request.provider} {request.endpoint}, model {model}; "
            f"estimated cost {cost} (the original's tokens at this model's prices)"
        )
    )


def report(result: Report, as_json: bool) -> None:
    if as_json:
        print(dumps(as_data(result), indent=2))
        return
    for note in result.request.warnings:
        warn(note)
    _render(result)


def as_data(result: Report) -> dict[str, Any]:
    """The replay and its diff as data (the ``--format json`` document)."""
    diff, verdict, noise = result.diff, result.verdict, result.noise
    return {
        "original_id": result.original["id"],
        "replay_ids": [r.call_id for r in result.replays if r.call_id],
        "saved": any(r.call_id for r in result.replays),
        "provider": result.request.provider,
        "endpoint": result.request.endpoint,
        "warnings": list(result.request.warnings),
        "original": _side(Side.of(result.original)),
        "replay": _side(Side.of(result.replays[0])),
        "diff": {
            "identical": diff.identical,
            "text": diff.text.as_dict(),
            "tool_calls": diff.tool_calls,
            "finish_reason": dict(zip(("original", "replay"), diff.finish_reason, strict=True)),
            "metrics": [{k: v for k, v in m.items() if k != "kind"} for m in diff.metrics],
        },
        "verdict": {
            "changed": verdict.changed,
            "reasons": verdict.reasons,
            "text_changed": round(verdict.text_changed, 4),
            "metrics_beyond_noise": verdict.beyond_noise,
        },
        "noise": None
        if noise is None
        else {
            "runs": noise.runs,
            "text_floor": round(noise.text_floor, 4),
            "ranges": {k: list(v) for k, v in noise.ranges.items()},
        },
        "runs": [_run(r) for r in result.replays],
        "baseline_runs": [_run(r) for r in result.baseline],
    }


def _side(side: Side) -> dict[str, Any]:
    return jsonable(vars(side))  # type: ignore[no-any-return]


def _run(outcome: Outcome) -> dict[str, Any]:
    return {"id": outcome.call_id, **_side(Side.of(outcome))}


def _render(result: Report) -> None:
    from rich.table import Table

    diff = result.diff
    first = result.replays[0]
    title = Text("replay ")
    title.append(str(first.call_id) if first.call_id else "(not saved)", style="bold")
    title.append(f" of {result.original['id']}")
    out.print(title)
    original, replay = Side.of(result.original), Side.of(first)
    sides = Table(show_lines=True, expand=True)
    sides.add_column(Text(f"original · {printable(str(original.model))}"), ratio=1)
    sides.add_column(Text(f"replay · {printable(str(replay.model))}"), ratio=1)
    sides.add_row(_marked(diff.text, before=True), _marked(diff.text, before=False))
    sides.add_row(_calls(original.tool_calls), _calls(replay.tool_calls))
    sides.add_row(_finish(original.finish_reason), _finish(replay.finish_reason))
    out.print(sides)
    if diff.tool_calls:
        out.print(_tool_changes(diff.tool_calls))
    out.print(_numbers(diff.metrics))
    out.print(_verdict(result))


def _marked(diff: TextDiff, *, before: bool) -> Text:
    """One side's text with its deleted (or inserted) words marked: coloured on a colour
    terminal, ``[-word-]`` / ``{+word+}`` otherwise."""
    text, changed = (diff.original, diff.deleted) if before else (diff.replay, diff.inserted)
    plain = out.color_system is None
    style = "red strike" if before else "bold green"
    opening, closing = ("[-", "-]") if before else ("{+", "+}")
    shown = Text()
    at, run = 0, False  # run: inside a stretch of changed words
    for index, match in enumerate(WORD.finditer(text)):
        gap, word = printable(text[at : match.start()]), printable(match.group())
        if index in changed:
            shown.append(gap, style=style if run else None)
            shown.append(opening if plain and not run else "", style=style)
            shown.append(word, style=style)
        else:
            shown.append(closing if plain and run else "", style=style)
            shown.append(gap + word)
        run = index in changed
        at = match.end()
    shown.append(closing if plain and run else "", style=style)
    shown.append(printable(text[at:]))
    return shown if text else Text("(no text)", style="dim")


def _calls(calls: list[dict[str, Any]] | None) -> Text:
    if not calls:
        return Text("(no tool calls)", style="dim")
    return Text(
        "\n".join(printable(f"{c.get('name')}({_short(c.get('arguments'))})") for c in calls)
    )


def _short(arguments: Any) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)


def _finish(reason: str | None) -> Text:
    return Text(f"finish: {printable(str(reason))}")


def _tool_changes(changes: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(title="tool calls changed", title_justify="left")
    for header in ("path", "change", "original", "replay"):
        table.add_column(header)
    for change in changes:
        table.add_row(
            *(Text(printable(_cell(change[k]))) for k in ("path", "change", "original", "replay"))
        )
    return table


def _cell(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else dumps(value)


def _numbers(metrics: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table()
    table.add_column("")
    for header in ("original", "replay", "delta", "delta %"):
        table.add_column(header, justify="right")
    for row in metrics:
        kind = row["kind"]
        pct = "" if row["delta_pct"] is None else f"{row['delta_pct']:+.1f}%"
        table.add_row(
            row["metric"],
            human(row["original"], kind),
            human(row["replay"], kind),
            _signed(row["delta"], kind),
            pct,
        )
    return table


def _signed(delta: Any, kind: str) -> str:
    if delta is None:
        return ""
    sign = "+" if delta > 0 else "-" if delta < 0 else ""
    return sign + human(abs(delta), kind)


def _verdict(result: Report) -> Text:
    verdict, noise = result.verdict, result.noise
    runs = len(result.replays)
    line = Text()
    if verdict.changed:
        line.append("changed", style="bold yellow")
        line.append(": " + printable("; ".join(verdict.reasons)))
    else:
        line.append("unchanged", style="bold green")
        line.append(" beyond the noise floor" if noise else " (same words, tool calls, finish)")
    if runs > 1:
        line.append(f" — {runs} replay runs")
        if noise:
            line.append(f" against {noise.runs} runs of the original request")
    if verdict.beyond_noise:
        line.append(f"; outside the original's range: {', '.join(verdict.beyond_noise)}")
    if not result.stored and result.replays[0].call_id:
        line.append(" (the store did not confirm every replay yet: see `llmlog status`)")
    return line


def estimate(count: int, total: Decimal, unknown: int) -> None:
    """The cost of many replays, before any is sent (stderr)."""
    without = f" ({unknown} without a price or not replayable)" if unknown else ""
    err.print(Text(f"{count} replays to send; estimated cost {human(total, 'usd')}{without}"))


@contextmanager
def progress(total: int) -> Iterator[Callable[[Item], None]]:
    """A progress bar on stderr when it is a terminal; the callback advances it."""
    if not err.is_terminal:
        yield lambda item: None
        return
    from rich.progress import Progress

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("replaying", total=total)
        yield lambda item: bar.advance(task)


def summary(result: Summary, as_json: bool) -> None:
    data = result.as_dict()
    if as_json:
        print(dumps(data, indent=2))
        return
    from rich.table import Table

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    finished = f"{data['finished']} of {data['planned']}"
    rows = [
        ("replays", finished + (" (interrupted)" if data["interrupted"] else "")),
        ("identical", human(data["identical"], "int")),
        ("changed", f"{data['changed']:,} ({data['changed_pct']:.1f}%)"),
        ("failed", human(data["failed"], "int")),
        (
            "cost delta",
            f"{_signed(data['total_cost_delta_usd'], 'usd')} total, "
            f"{_signed(data['mean_cost_delta_usd'], 'usd')} mean",
        ),
        ("latency delta", _signed(data["mean_latency_delta_ms"], "ms") + " mean"),
        ("output tokens delta", _signed(data["mean_output_tokens_delta"], "num") + " mean"),
    ]
    for label, value in rows:
        table.add_row(label, value)
    for item in data["most_changed"]:
        table.add_row("most changed", f"{item['id']} ({item['text_changed']:.1%} of words)")
    for failure in data["failures"][:MOST_FAILURES]:
        table.add_row("failed", Text(printable(f"{failure['id']}: {failure['error']}")))
    out.print(table)
