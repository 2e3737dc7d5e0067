"""The full-text index behind ``--grep``, built per daily partition once the day has closed.

Tokenising a 4 KB call costs ~200 µs of the writing backend's CPU, more than ingest can
spare at 15k calls/s (bench/queries.py measures it), so ``llm_calls`` has no text index on
its open days. Each closed day gets a GIN index over ``llmlog_text(...)`` the first time a
search needs it (or when ``index_closed_days`` runs from retention); searches over open
days scan them with an ILIKE pre-filter before tokenising.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from llmlog.store.partitions import existing_days, name_for

if TYPE_CHECKING:
    import psycopg

EXPRESSION = "llmlog_text(system_prompt, output_text, request, tool_calls)"
TEXT_INDEX_LOCK = 7_460_004


def index_name(day: date) -> str:
    return f"{name_for(day)}_text"


def unindexed_days(conn: psycopg.Connection, first: date, last: date) -> list[date]:
    """Closed days in [first, last] whose partition has no text index yet."""
    today = datetime.now(UTC).date()
    indexed = {
        row[0]
        for row in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename LIKE 'llm\\_calls\\_p%%' "
            "AND indexname LIKE '%%\\_text'"
        )
    }
    return sorted(
        day
        for day in existing_days(conn)
        if first <= day <= last and day < today and index_name(day) not in indexed
    )


def index_days(conn: psycopg.Connection, days: list[date]) -> None:
    """Build the text index of each day's partition (DDL: names are our own, not input).

    Report sessions are read-only with a statement timeout; building an index is llmlog's
    own upkeep, so its transaction is read-write and not time-limited."""
    for day in days:
        with conn.transaction():  # two searches at once build each index once
            conn.execute("SET TRANSACTION READ WRITE")
            conn.execute("SET LOCAL statement_timeout = 0")
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (TEXT_INDEX_LOCK,))
            conn.execute(
                f"CREATE INDEX IF NOT EXISTS {index_name(day)} ON {name_for(day)} "
                f"USING gin (({EXPRESSION})) WITH (fastupdate = off)"
            )


def index_closed_days(conn: psycopg.Connection) -> list[date]:
    """Index every closed day still without a text index; returns the days indexed."""
    days = unindexed_days(conn, date.min, date.max)
    index_days(conn, days)
    return days
