"""What every command shares: the global ``--db`` value and reusable option aliases."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmlog.cli.output import Format

if TYPE_CHECKING:
    import psycopg


@dataclass
class State:
    db: str | None = None
    # The report or export command being run and its arguments, for the store's audit.
    audited: tuple[str, list[str]] | None = None


state = State()

FormatOpt = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-f",
        help="table | json | jsonl | csv (default: table on a terminal, jsonl otherwise).",
        case_sensitive=False,
    ),
]


def open_store() -> tuple[str, psycopg.Connection]:
    """Connect to the configured store and refuse a schema that is behind; a report or
    export command records itself first when the store audits (llmlog.store.audit)."""
    from llmlog.store.connect import open_store as _open

    url, conn = _open(state.db)
    if state.audited:
        from llmlog.store import audit

        try:
            audit.record(conn, *state.audited)
        except Exception:
            conn.close()
            raise
    return url, conn


def run_server(server: Any, **options: Any) -> None:
    """Serve with a ``uvicorn.Server`` until Ctrl-C (or SIGTERM), then end as interrupted:
    exit 130, as documented. (uvicorn raises the signal that stopped it again, but asyncio
    may finish the serving task before that interrupt lands: the run would then end as if
    it had succeeded, exit 0.)"""
    server.run(**options)
    if server.should_exit:
        raise KeyboardInterrupt


def report_store(timeout: float | None = None) -> psycopg.Connection:
    """The store, in a read-only session with a statement timeout (see reports.run)."""
    from llmlog.reports.run import tune_session

    conn = open_store()[1]
    tune_session(conn, timeout)
    return conn


def option(*names: str, help_text: str, **extra: Any) -> Any:
    """A Typer option whose help shows no default (its text says it when it matters)."""
    return typer.Option(*names, help=help_text, show_default=False, **extra)


class TableOrJson(StrEnum):
    """``--format`` of a command whose result is one report, not rows."""

    table = "table"
    json = "json"


def _text_opt(name: str, help_text: str) -> typer.models.OptionInfo:
    return typer.Option(name, help=help_text, show_default=False, rich_help_panel="Filters")


SinceOpt = Annotated[
    str | None,
    _text_opt("--since", "Start of the window: 15m, 24h, 7d, 2w or a date/time (UTC)."),
]
UntilOpt = Annotated[str | None, _text_opt("--until", "End of the window (default: open).")]
FeatureOpt = Annotated[str | None, _text_opt("--feature", "Only this feature.")]
ModelOpt = Annotated[str | None, _text_opt("--model", "Only this (requested) model.")]
ProviderOpt = Annotated[str | None, _text_opt("--provider", "Only this provider.")]
TenantOpt = Annotated[str | None, _text_opt("--tenant", "Only this tenant_id.")]
UserOpt = Annotated[str | None, _text_opt("--user", "Only this user_id.")]
TraceOpt = Annotated[str | None, _text_opt("--trace", "Only this trace_id.")]
PromptVersionOpt = Annotated[str | None, _text_opt("--prompt-version", "Only this prompt version.")]


class Status(StrEnum):
    ok = "ok"
    error = "error"


StatusOpt = Annotated[
    Status | None,
    typer.Option("--status", help="ok or error.", show_default=False, rich_help_panel="Filters"),
]
GrepOpt = Annotated[
    str | None,
    _text_opt(
        "--grep",
        "Full-text search of system prompt, messages, output and tool arguments: words, "
        '"a phrase", -excluded, or.',
    ),
]
LimitOpt = Annotated[int, typer.Option("--limit", "-n", min=1, help="How many rows at most.")]
