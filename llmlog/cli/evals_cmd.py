"""``llmlog sample-evals``: the calls worth an eval, as JSONL for an eval tool."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from llmlog.cli import common
from llmlog.cli.help import ACT, adder
from llmlog.cli.output import Col, Format, dumps, emit_rows, message, resolve_format
from llmlog.cli.report_cmds import with_filters
from llmlog.errors import UsageError
from llmlog.reports.filters import Filters

HISTORY_COLUMNS = [
    Col("created_at", "when", "time"),
    Col("id", "export", "id"),
    Col("format"),
    Col("calls", kind="int"),
    Col("output", "file", max_width=30, optional=True),
    Col("options", max_width=60, optional=True),
]


class EvalFormat(StrEnum):
    llmlog = "llmlog"
    openai_chat = "openai-chat"
    inspect = "inspect"
    langfuse = "langfuse"
    braintrust = "braintrust"
    promptfoo = "promptfoo"
    openai_preference = "openai-preference"


def _opt(*names: str, help_text: str, **more: Any) -> Any:
    return typer.Option(*names, help=help_text, **more)


def sample_evals(
    why: Annotated[
        str,
        _opt(
            "--why",
            help_text="Reasons, comma-separated: thumbs_down, slow, expensive, refusal, error, "
            "low_score (scored low by `llmlog judge`), random (a representative baseline slice).",
        ),
    ] = "thumbs_down,slow,expensive,refusal,error",
    limit: Annotated[int, _opt("--limit", "-n", min=1, help_text="How many calls at most.")] = 50,
    slow_ms: Annotated[float, _opt("--slow-ms", min=0, help_text="Slow from this latency.")] = 5000,
    expensive_usd: Annotated[
        float, _opt("--expensive-usd", min=0, help_text="Expensive from this cost per call.")
    ] = 0.10,
    per_feature: Annotated[
        int | None,
        _opt("--per-feature", min=1, help_text="At most K calls per feature.", show_default=False),
    ] = None,
    low_score: Annotated[
        float | None,
        _opt(
            "--low-score",
            min=0,
            max=100,
            help_text="low_score: a judge score below this (default: below its rubric's pass "
            "mark).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int | None,
        _opt(
            "--seed",
            help_text="Seed of the draw: the same seed over the same data gives the same file "
            "(default: a new one, printed).",
            show_default=False,
        ),
    ] = None,
    refusal_phrase: Annotated[
        list[str] | None,
        _opt(
            "--refusal-phrase",
            help_text="A phrase that marks a refusal near the start of an output; repeatable "
            "(default: refusal_phrases in config.toml, else llmlog's list).",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        EvalFormat,
        _opt(
            "--format",
            "-f",
            case_sensitive=False,
            help_text="llmlog, openai-chat, inspect, langfuse, braintrust, promptfoo or "
            "openai-preference (pairs of a call and its replay that feedback ranks).",
        ),
    ] = EvalFormat.llmlog,
    output: Annotated[
        Path | None,
        _opt("--output", "-o", help_text="Write to FILE (default: stdout).", show_default=False),
    ] = None,
    redact: Annotated[
        bool, _opt("--redact", help_text="Redact PII in the exported text (llmlog's patterns).")
    ] = False,
    new_only: Annotated[
        bool, _opt("--new-only", help_text="Leave out calls that an earlier export wrote.")
    ] = False,
    list_history: Annotated[
        bool, _opt("--history", help_text="List past exports (when, format, calls, options).")
    ] = False,
    *,
    filters: Filters,
) -> None:
    """Export the calls worth an eval (thumbs-down, slow, expensive, refused, failed) as JSONL.

    Each line carries every reason its call matched; near-duplicates are dropped, and
    features and reasons take turns. A summary goes to stderr; each export is recorded
    (--new-only, --history). Default window 7d.

    Example: llmlog sample-evals --since 7d --limit 50 --per-feature 10 > evals.jsonl
    """
    from llmlog import settings
    from llmlog.evals import export, history, select

    if list_history:
        rows, shown = history.past(common.report_store(), limit), resolve_format(None)
        if shown is Format.table:  # options as JSON text, as they are stored
            rows = [{**row, "options": dumps(row["options"])} for row in rows]
        emit_rows(rows, shown, HISTORY_COLUMNS, empty="no exports yet")
        return
    options = select.Options(
        why=tuple(part.strip() for part in why.split(",") if part.strip()),
        limit=limit,
        slow_ms=slow_ms,
        expensive_usd=Decimal(str(expensive_usd)),
        per_feature=per_feature,
        seed=select.new_seed() if seed is None else seed,
        refusal_phrases=tuple(refusal_phrase) if refusal_phrase else select.configured_phrases(),
        new_only=new_only,
        low_score=low_score,
    )
    options.check()
    conn = common.report_store()
    result = export.export(
        conn, filters, options, fmt.value, redact=redact or settings.current().redact_pii
    )
    if not result.lines:
        message(result.empty)
        return
    _write(result.lines, output)
    described = history.describe(filters, options)
    target = str(output.resolve()) if output else None
    if not history.record(
        conn, result.selection.calls, fmt=fmt.value, options=described, output=target
    ):
        message("not recorded in the export history: this role may only read the store")
    for line in export.summary(result, options):
        message(line)


def _write(lines: list[str], output: Path | None) -> None:
    import sys

    if output is None:
        try:
            sys.stdout.writelines(lines)
            sys.stdout.flush()
        except BrokenPipeError:  # the reader left (`| head`), as for every command
            raise
        except OSError as exc:
            raise UsageError(
                f"cannot write the export to stdout: {exc.strerror}", hint="use -o FILE"
            ) from None
        return
    from llmlog.evals.files import write_whole

    write_whole(output, "".join(lines))


def register(app: typer.Typer) -> None:
    add = adder(app, ACT)
    add("sample-evals")(with_filters(sample_evals))
