"""What every command shares: the global ``--db`` value and reusable option aliases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from llmlog.cli.output import Format

if TYPE_CHECKING:
    import psycopg


@dataclass
class State:
    db: str | None = None


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
    """Connect to the configured store and refuse a schema that is behind."""
    from llmlog.store.connect import open_store as _open

    return _open(state.db)
