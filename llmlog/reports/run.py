"""Running a named query: bind its parameters, execute it, hand back rows as dicts."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from llmlog.reports import params, sqlfile

log = logging.getLogger("llmlog")

if TYPE_CHECKING:
    import psycopg

    from llmlog.reports.sqlfile import Query

Row = dict[str, Any]


# Window aggregates sort hundreds of thousands of values (percentiles); 4 MB spills to disk.
REPORT_WORK_MEM = "64MB"


def tune_session(conn: psycopg.Connection) -> None:
    """Session settings for report queries (on top of connect()'s jit=off)."""
    conn.execute(f"SET work_mem = '{REPORT_WORK_MEM}'")


def execute(conn: psycopg.Connection, query: Query, values: Mapping[str, Any]) -> list[Row]:
    """Rows of ``query`` run with already bound ``values``.

    Never prepared: each execution is planned with its values, so constant folding drops the
    filters left unset and partitions outside the time bounds are pruned at plan time.
    """
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query.sql, dict(values) or None, prepare=False)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []


def run(
    conn: psycopg.Connection, name: str, given: Mapping[str, Any], *, strict: bool = False
) -> list[Row]:
    """Rows of the bundled query ``name`` with ``given`` values (the rest from its defaults)."""
    query = sqlfile.bundled(name)
    values = params.bind(query, given, strict=strict)
    if values.get("grep"):
        index_text_for(conn, values)
    return execute(conn, query, values)


def index_text_for(conn: psycopg.Connection, values: Mapping[str, Any]) -> None:
    """Before a full-text search: index the closed days of its window that still lack it."""
    from datetime import date

    from llmlog.reports import textindex

    since, until = values.get("since"), values.get("until")
    first = since.date() if since else date.min
    last = until.date() if until else date.max
    days = textindex.unindexed_days(conn, first, last)
    if days:
        log.warning("indexing the text of %d closed day(s) for search, once", len(days))
        textindex.index_days(conn, days)


def drop_keys(rows: list[Row], keep: set[str], among: tuple[str, ...]) -> list[Row]:
    """``rows`` without the grouping columns of ``among`` that were not asked for."""
    gone = set(among) - keep
    return [{k: v for k, v in row.items() if k not in gone} for row in rows]
