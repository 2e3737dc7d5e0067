"""The export history: each run's options and the calls it wrote (``--new-only`` skips
those), and the list of past runs (``--history``)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from llmlog.ids import new_id
from llmlog.reports.filters import Filters
from llmlog.reports.run import Row, run

if TYPE_CHECKING:
    import psycopg

    from llmlog.evals.select import Options


def describe(filters: Filters, options: Options) -> dict[str, Any]:
    """The options of a run as stored: what chose the calls (unset filters left out)."""
    given = {k: v for k, v in asdict(filters).items() if v is not None}
    return json.loads(json.dumps({**asdict(options), **given}, default=str))


def record(
    conn: psycopg.Connection,
    calls: list[Row],
    *,
    fmt: str,
    options: dict[str, Any],
    output: str | None,
) -> str | None:
    """Store one export and its calls (in one transaction); its id. None, storing nothing,
    for a role that may not write the history (a reader: ``llmlog access``)."""
    from psycopg.types.json import Jsonb

    allowed = conn.execute("SELECT has_table_privilege('llm_eval_exports', 'INSERT')").fetchone()
    if not (allowed and allowed[0]):
        return None
    export_id = new_id()
    with conn.transaction():
        conn.execute("SET TRANSACTION READ WRITE")
        conn.execute(
            "INSERT INTO llm_eval_exports (id, format, options, output, calls) "
            "VALUES (%s, %s, %s, %s, %s)",
            (export_id, fmt, Jsonb(options), output, len(calls)),
        )
        conn.execute(
            "INSERT INTO llm_eval_exported (export_id, call_id, call_ts) "
            "SELECT %s, call_id, call_ts FROM unnest(%s::uuid[], %s::timestamptz[]) "
            "AS c(call_id, call_ts) ON CONFLICT DO NOTHING",
            (export_id, [c["id"] for c in calls], [c["ts"] for c in calls]),
        )
    return str(export_id)


def past(conn: psycopg.Connection, limit: int = 50) -> list[Row]:
    """Past exports, newest first."""
    return run(conn, "eval_exports", {"limit": limit})
