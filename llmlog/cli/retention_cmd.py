"""``llmlog retention-roll``: the store's upkeep from cron (llmlog.store.retention)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from llmlog.cli import common
from llmlog.cli.help import STORE, adder
from llmlog.cli.output import Col, Format, emit_object, emit_rows, message, resolve_format


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
    from llmlog.store import access, retention

    policy = retention.Policy(
        hot_days, keep_days, parse_time(now) if now else datetime.now(UTC), archive
    )
    conn = common.open_store()[1]
    with conn:
        access.require_owner(conn, "retention-roll")
        result = retention.run(conn, policy, dry_run=dry_run)
    if dry_run:
        emit_rows(
            result.plan.rows(), resolve_format(fmt), [Col("step"), Col("day")],
            empty="nothing to do",
        )  # fmt: skip
        message("dry run, would have " + result.summary())
        return
    message(result.summary())


def forget(
    user: Annotated[str | None, typer.Option("--user", help="This user_id's calls.")] = None,
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="This tenant_id's calls and rollups.")
    ] = None,
    archive: Annotated[
        str | None,
        typer.Option("--archive", help="The Parquet archive to erase from too (DIR or URL)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go; remove nothing.")
    ] = False,
    fmt: common.FormatOpt = None,
) -> None:
    """Erase a user's or a tenant's calls: rows, replays, archive, spool (and a tenant's
    rollups), with an audit row in llm_erasures.

    Example: llmlog forget --user u-1842 --archive /var/lib/llmlog-archive --dry-run
    """
    from dataclasses import asdict

    from llmlog import settings
    from llmlog.errors import UsageError
    from llmlog.store import erasure

    if (user is None) == (tenant is None):
        raise UsageError("give --user or --tenant (one of the two)")
    who = erasure.Selector("user_id", user) if user else erasure.Selector("tenant_id", tenant)  # type: ignore[arg-type]
    conn = common.open_store()[1]
    with conn:
        erased = erasure.forget(
            conn, who, spool_dir=settings.current().spool_path(), archive_root=archive,
            dry_run=dry_run,
        )  # fmt: skip
    fmt = resolve_format(fmt)
    emit_object(asdict(erased), Format.json if fmt is Format.jsonl else fmt, title="forget")
    if erased.spool_files_in_use:
        message(
            f"{erased.spool_files_in_use} spool files are still being written: run again "
            "once their writers stopped"
        )
    if dry_run:
        message("dry run: nothing was removed")


def register(app: typer.Typer) -> None:
    add = adder(app, STORE)
    add("retention-roll")(retention_roll)
    add()(forget)
