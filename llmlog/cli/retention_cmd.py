"""``llmlog retention-roll``: the store's upkeep from cron (llmlog.store.retention)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from llmlog.cli import common
from llmlog.cli.help import ACT, adder
from llmlog.cli.output import Col, emit_rows, message, resolve_format


def retention_roll(
    hot_days: Annotated[
        int, typer.Option("--hot-days", help="Keep full content this many days.")
    ] = 30,
    keep_days: Annotated[
        int, typer.Option("--keep-days", help="Keep rows (metadata) this many days.")
    ] = 365,
    archive: Annotated[
        str | None,
        typer.Option(
            "--archive",
            help="Before stripping, write each day's full rows to Parquet in this directory "
            "or fsspec URL (needs llmlog[archive]).",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan (step, day); change nothing.")
    ] = False,
    now: Annotated[
        str | None,
        typer.Option(
            "--now", help="Run as if it were this time (UTC), e.g. to backfill.", show_default=False
        ),
    ] = None,
    fmt: common.FormatOpt = None,
) -> None:
    """Roll closed days into llm_calls_daily, strip old content, drop old partitions.

    One summary line on stderr; exit 75 when another run holds the lock.
    Example (crontab): 15 0 * * * llmlog retention-roll --hot-days 30 --keep-days 365
    """
    from llmlog.reports.window import parse_time
    from llmlog.store import retention

    policy = retention.Policy(
        hot_days, keep_days, parse_time(now) if now else datetime.now(UTC), archive
    )
    conn = common.open_store()[1]
    with conn:
        result = retention.run(conn, policy, dry_run=dry_run)
    if dry_run:
        emit_rows(
            result.plan.rows(), resolve_format(fmt), [Col("step"), Col("day")],
            empty="nothing to do",
        )  # fmt: skip
        message("dry run, would have " + result.summary())
        return
    message(result.summary())


def register(app: typer.Typer) -> None:
    adder(app, ACT)("retention-roll")(retention_roll)
