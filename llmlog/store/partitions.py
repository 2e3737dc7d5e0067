"""Daily partitions of llm_calls: named ``llm_calls_pYYYYMMDD``, created ahead of time.

Rows for a day without its partition land in ``llm_calls_default`` so none is rejected;
creating that day's partition later moves them out of the default partition.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

AHEAD_DAYS = 7
# Serialises partition creation across processes (writers, init, retention).
PARTITION_LOCK = 7_460_002


def name_for(day: date) -> str:
    return f"llm_calls_p{day.year:04d}{day.month:02d}{day.day:02d}"  # (%Y gives year 1 as "1")


def existing_days(conn: psycopg.Connection) -> set[date]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'llm_calls'::regclass AND c.relname ~ '^llm_calls_p[0-9]{8}$'"
    ).fetchall()
    return {datetime.strptime(r[0][len("llm_calls_p") :], "%Y%m%d").date() for r in rows}


def ensure_days(conn: psycopg.Connection, days: Iterable[date]) -> list[date]:
    """Create the partitions missing for ``days``; returns the days created."""
    wanted = set(days) - existing_days(conn)
    created: list[date] = []
    for day in sorted(wanted):
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (PARTITION_LOCK,))
            if day in existing_days(conn):
                continue
            _create(conn, day)
            created.append(day)
    return created


def ensure_ahead(conn: psycopg.Connection, today: date | None = None) -> list[date]:
    """Partitions from yesterday to ``AHEAD_DAYS`` ahead."""
    today = today or datetime.now(UTC).date()
    return ensure_days(conn, (today + timedelta(days=n) for n in range(-1, AHEAD_DAYS + 1)))


def _create(conn: psycopg.Connection, day: date) -> None:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    bounds = (start, start + timedelta(days=1))
    name = name_for(day)
    stray = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM llm_calls_default WHERE ts >= %s AND ts < %s)", bounds
    ).fetchone()
    if stray and stray[0]:
        _create_moving_default_rows(conn, name, bounds)
        return
    lo, hi = map(_lit, bounds)
    conn.execute(f"CREATE TABLE {name} PARTITION OF llm_calls FOR VALUES FROM ('{lo}') TO ('{hi}')")


def _create_moving_default_rows(
    conn: psycopg.Connection, name: str, bounds: tuple[datetime, datetime]
) -> None:
    # PostgreSQL refuses a new partition while the default one holds rows for its range.
    lo, hi = map(_lit, bounds)
    conn.execute("ALTER TABLE llm_calls DETACH PARTITION llm_calls_default")
    conn.execute(f"CREATE TABLE {name} PARTITION OF llm_calls FOR VALUES FROM ('{lo}') TO ('{hi}')")
    conn.execute(
        f"WITH moved AS (DELETE FROM llm_calls_default WHERE ts >= '{lo}' AND ts < '{hi}' "
        "RETURNING *) INSERT INTO llm_calls SELECT * FROM moved"
    )
    conn.execute("ALTER TABLE llm_calls ATTACH PARTITION llm_calls_default DEFAULT")


def _lit(value: datetime) -> str:
    # DDL takes no bind parameters; these are our own ISO timestamps, never user text.
    return value.isoformat()
