"""Commands around capture: ingest, feedback, recost."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llmlog.cli import common
from llmlog.cli.help import CAPTURE, adder
from llmlog.cli.output import Col, emit_rows, message, resolve_format
from llmlog.errors import NotFoundError, UsageError


def ingest(
    file: Annotated[
        Path | None, typer.Argument(help="A JSONL file of call records.", show_default=False)
    ] = None,
    spool: Annotated[
        bool, typer.Option("--spool", help="Load the spool left by writers that lost the store.")
    ] = False,
) -> None:
    """Load call records (llmlog's JSON lines) into the store, each call exactly once.

    Bad lines are reported by line number and kept in a rejects file; good lines are
    stored. Exits 2 when a line was rejected.

    Example: llmlog ingest --spool
    """
    from llmlog import settings
    from llmlog import spool as spool_mod

    if (file is None) == (not spool):
        raise UsageError("give a FILE or --spool (one of the two)")
    _, conn = common.open_store()
    try:
        with conn:
            if spool:
                directory = settings.current().spool_path()
                result = spool_mod.ingest_spool(conn, directory)
                rejects_at = directory / "rejects"
            else:
                assert file is not None
                if not file.is_file():
                    raise NotFoundError(f"no such file: {file}")
                rejects_at = file.with_name(file.name + ".rejects")
                result = spool_mod.ingest_file(conn, file, rejects_at)
    except OSError as exc:  # (what was stored before stays stored: ingest again)
        raise UsageError(
            f"cannot use {exc.filename}: {exc.strerror}", hint="check the path and its permissions"
        ) from None
    for source, line, reason in result.rejected:
        message(f"{source}:{line}: {reason}")
    for path in result.skipped_files:
        message(f"skipped {path}: a running writer still holds it")
    summary = f"{result.stored} stored, {result.duplicates} already stored"
    if result.feedback:
        summary += f", {result.feedback} feedback applied"
    message(summary)
    if result.rejected:
        raise UsageError(
            f"{len(result.rejected)} line(s) rejected, kept in {rejects_at}",
            hint="fix them there, then `llmlog ingest` that file",
        )


def feedback(
    call_id: Annotated[
        str, typer.Argument(help="The call's id or a unique prefix of it.", show_default=False)
    ],
    value: Annotated[str, typer.Argument(help="up, down or clear.", show_default=False)],
    note: Annotated[str | None, typer.Option("--note", help="A note to keep with it.")] = None,
) -> None:
    """Record a thumbs up or down (and a note) on a stored call.

    Example: llmlog feedback 0193a1b2-3c4d-7 down --note "wrong city"
    """
    from llmlog.capture.feedback import parse_value, set_feedback
    from llmlog.reports.calls import find_call

    try:
        score = parse_value(value)
    except ValueError as exc:
        raise UsageError(str(exc), hint="give up, down or clear") from None
    _, conn = common.open_store()
    with conn:
        try:
            found = find_call(conn, call_id)
        except NotFoundError:
            found = None
        if found is None or not set_feedback(conn, found["id"], score, note):
            raise NotFoundError(
                f"no stored call has id {call_id}",
                hint="calls spooled while the store was down appear after `llmlog ingest --spool`",
            )
    message(f"feedback {score:+d} recorded on {found}")


def recost(
    since: Annotated[
        str, typer.Option("--since", help="From when: 15m, 24h, 7d, 2w or a date/time (UTC).")
    ] = "30d",
    model: Annotated[str | None, typer.Option("--model", help="Only this model.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
    ] = False,
    format: common.FormatOpt = None,
) -> None:
    """Recompute stored costs from current prices and overrides; report what changed.

    Example: llmlog recost --since 7d --model ft:gpt-4o-mini:acme --dry-run
    """
    from llmlog.capture.recost import recost as run
    from llmlog.reports.window import parse_time

    start = parse_time(since)
    _, conn = common.open_store()
    with conn:
        rows = run(conn, since=start, model=model, dry_run=dry_run)
    emit_rows(
        rows,
        resolve_format(format),
        columns=[
            Col("model"),
            Col("calls", kind="int"),
            Col("changed", kind="int"),
            Col("old_usd", "before", kind="usd"),
            Col("new_usd", "after", kind="usd"),
        ],
    )
    changed = sum(r["changed"] for r in rows)
    message(f"{changed} cost(s) {'would change' if dry_run else 'updated'}")


def register(app: typer.Typer) -> None:
    add = adder(app, CAPTURE)
    add()(ingest)
    add()(feedback)
    add()(recost)
