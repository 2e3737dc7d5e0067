"""Retention from cron: roll closed days into ``llm_calls_daily``, strip content past the hot
window, drop partitions past the keep window, and keep partitions a week ahead.

Each step on a day is one transaction, so a run killed at any point leaves every day
either done or not, and the next run finishes the rest (nothing counted twice). Runs take
a session advisory lock: one at a time. What a day has been through is in
``llm_calls_days``; writes to a closed day bump its ``changes`` (``llmlog_days_changed``),
and a day whose ``changes`` moved past ``rolled_changes`` is rolled again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from llmlog.errors import LlmlogError, UsageError
from llmlog.store import archive, partitions, textindex
from llmlog.store.partitions import name_for

if TYPE_CHECKING:
    import psycopg

RETENTION_LOCK = 7_460_005
# A day is rolled once it has been over this long: writes begun before midnight commit first.
GRACE = timedelta(minutes=10)
EXIT_BUSY = 75  # sysexits' EX_TEMPFAIL: cron wrappers read it as "try again later"
# What stripping removes (with its type); the other columns (the metadata) stay.
CONTENT = {"request": "jsonb", "response": "jsonb", "system_prompt": "text", "output_text": "text"}


class BusyError(LlmlogError):
    """Another retention-roll is running on this store."""

    exit_code = EXIT_BUSY


@dataclass(frozen=True)
class Policy:
    """How long content and rows are kept, and the moment the run takes as now."""

    hot_days: int = 30
    keep_days: int = 365
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    archive: str | None = None  # a directory or fsspec URL for Parquet, before stripping

    def __post_init__(self) -> None:
        if self.hot_days < 1 or self.keep_days < 1:
            raise UsageError("--hot-days and --keep-days must be at least 1")
        if self.keep_days < self.hot_days:
            raise UsageError(
                f"--keep-days {self.keep_days} is shorter than --hot-days {self.hot_days}",
                hint="rows are kept at least as long as their content",
            )

    @property
    def last_closed(self) -> date:
        return (self.now - GRACE).date() - timedelta(days=1)

    @property
    def strip_before(self) -> date:
        return self.now.date() - timedelta(days=self.hot_days)

    @property
    def drop_before(self) -> date:
        return self.now.date() - timedelta(days=self.keep_days)


@dataclass
class Plan:
    """The days each step will touch (a day may be in several)."""

    roll: list[date] = field(default_factory=list)
    index: list[date] = field(default_factory=list)
    archive: list[date] = field(default_factory=list)
    strip: list[date] = field(default_factory=list)
    drop: list[date] = field(default_factory=list)
    ahead: list[date] = field(default_factory=list)

    def rows(self) -> list[dict[str, object]]:
        steps = ("roll", "index", "archive", "strip", "drop", "ahead")
        return [{"step": s, "day": d} for s in steps for d in getattr(self, s)]


@dataclass
class Result:
    plan: Plan
    bytes_before: int = 0
    bytes_after: int = 0

    @property
    def bytes_freed(self) -> int:
        return self.bytes_before - self.bytes_after

    def summary(self) -> str:
        p = self.plan
        return (
            f"rolled {_days(p.roll)}, text-indexed {_days(p.index)}, "
            f"archived {_days(p.archive)}, "
            f"stripped {_days(p.strip)}, dropped {_days(p.drop)}, "
            f"{_size(self.bytes_freed)} freed, {_count(len(p.ahead), 'partition')} created ahead"
        )


def _days(days: list[date]) -> str:
    return _count(len(days), "day")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _size(n: int) -> str:
    if abs(n) < 1024:
        return f"{n} bytes"
    size = n / 1024
    for unit in ("kB", "MB"):
        if abs(size) < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def plan(conn: psycopg.Connection, policy: Policy) -> Plan:
    """What a run at ``policy.now`` would do."""
    state = {
        row[0]: row[1:]
        for row in conn.execute(
            "SELECT day, changes, rolled_changes, stripped_changes, dropped_at, "
            "archived_changes, stripped_at FROM llm_calls_days"
        )
    }
    # A dropped day keeps its rollup: rows that came late for it (into a partition made
    # anew) are never rolled over it, and go with that partition.
    dropped = {d for d, s in state.items() if s[3] is not None}
    existing = partitions.existing_days(conn)
    closed = sorted(d for d in (existing | set(state)) - dropped if d <= policy.last_closed)

    def stale(day: date) -> bool:
        changes, rolled, *_ = state.get(day, (0, None))
        return rolled is None or rolled != changes

    # Stripped or archived as the day is now: a late write brings content back (strip
    # again; its rows go to the archive first).
    stripped = {d for d, s in state.items() if s[2] == s[0]}
    archived = {d for d, s in state.items() if s[4] == s[0]}
    leaving = [d for d in sorted(existing) if d < policy.strip_before and d not in stripped]
    return Plan(
        roll=[d for d in closed if stale(d)],
        index=textindex.unindexed_days(conn, policy.strip_before, policy.last_closed),
        archive=[d for d in leaving if d not in archived] if policy.archive else [],
        strip=[
            d for d in sorted(existing)
            if policy.drop_before <= d < policy.strip_before and d not in stripped
        ],
        drop=[d for d in sorted(existing) if d < policy.drop_before],
        ahead=[
            policy.now.date() + timedelta(days=n)
            for n in range(partitions.AHEAD_DAYS + 1)
            if policy.now.date() + timedelta(days=n) not in existing
        ],
    )  # fmt: skip


def run(conn: psycopg.Connection, policy: Policy, *, dry_run: bool = False) -> Result:
    """Roll, index, strip, drop and create ahead, under the retention lock."""
    got = conn.execute("SELECT pg_try_advisory_lock(%s)", (RETENTION_LOCK,)).fetchone()
    if not (got and got[0]):
        raise BusyError(
            "another retention-roll is running on this store",
            hint="wait for it to finish (exit 75: try again later)",
        )
    try:
        if policy.archive:
            archive.require()
        todo = plan(conn, policy)
        result = Result(todo)
        if dry_run:
            return result
        for day in todo.roll:
            with conn.transaction():
                roll_day(conn, day)
        textindex.index_days(conn, todo.index)
        for day in todo.archive:
            archive_day(conn, policy.archive, day)  # type: ignore[arg-type]
        for day in todo.strip:
            before, after = strip_day(conn, day, archive_root=policy.archive)
            result.bytes_before += before
            result.bytes_after += after
        for day in todo.drop:
            result.bytes_before += drop_day(conn, day)
        partitions.ensure_days(conn, todo.ahead)
        return result
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (RETENTION_LOCK,))


def archive_day(conn: psycopg.Connection, root: str, day: date) -> None:
    """Write ``day``'s rows to the archive: all of them the first time (or until the day is
    stripped); once stripped, the rows a late write brought with content, to a file of
    their own."""
    changes, stripped = conn.execute(
        "SELECT coalesce(max(changes), 0), bool_or(stripped_at IS NOT NULL) "
        "FROM llm_calls_days WHERE day = %s",
        (day,),
    ).fetchone()  # type: ignore[misc]
    if stripped:
        archive.archive_day(conn, root, day, part=f"late-{changes}", only_content=True)
    else:
        archive.archive_day(conn, root, day)
    conn.execute(
        "INSERT INTO llm_calls_days (day, archived_at, archived_changes) "
        "VALUES (%s, now(), %s) "
        "ON CONFLICT (day) DO UPDATE SET archived_at = now(), archived_changes = %s",
        (day, changes, changes),
    )


def roll_day(conn: psycopg.Connection, day: date) -> None:
    """Replace ``day``'s rollup with one computed from its rows, inside the caller's
    transaction (``llmlog_roll_day``, migration 0005: pg_cron can call it too)."""
    conn.execute("SELECT llmlog_roll_day(%s)", (day,))


def _partition_size(conn: psycopg.Connection, name: str) -> int:
    row = conn.execute("SELECT pg_total_relation_size(%s::regclass)", (name,)).fetchone()
    return int(row[0]) if row else 0


def _stripped_columns() -> str:
    from llmlog.store.records import COLUMNS

    kept = {
        "tool_calls": "CASE WHEN jsonb_typeof(tool_calls) = 'array' THEN (SELECT jsonb_agg("
        "CASE WHEN jsonb_typeof(t) = 'object' THEN t - 'arguments' ELSE t END) "
        "FROM jsonb_array_elements(tool_calls) AS t) END AS tool_calls",
    }
    return ", ".join(
        f"NULL::{CONTENT[c]} AS {c}" if c in CONTENT else kept.get(c, c) for c in COLUMNS
    )


def strip_day(
    conn: psycopg.Connection, day: date, *, archive_root: str | None = None
) -> tuple[int, int]:
    """Rewrite ``day``'s partition without its content (tool calls keep their ids and
    names): copied aside, truncated, copied back, in one transaction. No row is updated,
    so no dead tuples are left; returns the partition's size before and after. With an
    archive, a day written to since it was archived is archived again first, under the
    same lock (so no row loses its content unarchived)."""
    name = name_for(day)
    before = _partition_size(conn, name)
    with conn.transaction():
        conn.execute(f"LOCK TABLE {name} IN SHARE MODE")  # late writes wait, reads go on
        if archive_root is not None and _changed_since_archived(conn, day):
            archive_day(conn, archive_root, day)
        conn.execute(f"DROP INDEX IF EXISTS {textindex.index_name(day)}")
        conn.execute(
            f"CREATE TEMP TABLE llmlog_stripped ON COMMIT DROP AS "
            f"SELECT {_stripped_columns()} FROM {name}"
        )
        conn.execute(f"TRUNCATE {name}")
        conn.execute(f"INSERT INTO {name} SELECT * FROM llmlog_stripped")
        conn.execute(
            "INSERT INTO llm_calls_days AS s (day, stripped_at, stripped_changes) "
            "VALUES (%s, now(), 0) "
            "ON CONFLICT (day) DO UPDATE SET stripped_at = now(), stripped_changes = s.changes",
            (day,),
        )
    return before, _partition_size(conn, name)


def _changed_since_archived(conn: psycopg.Connection, day: date) -> bool:
    row = conn.execute(
        "SELECT archived_changes IS DISTINCT FROM changes FROM llm_calls_days WHERE day = %s",
        (day,),
    ).fetchone()
    return bool(row and row[0])


def drop_day(conn: psycopg.Connection, day: date) -> int:
    """Drop ``day``'s partition, rolling it first if its rollup is not current (the lock
    taken first lets writes to it finish and keeps new ones out); returns its size."""
    name = name_for(day)
    with conn.transaction():
        conn.execute(f"LOCK TABLE {name} IN ACCESS EXCLUSIVE MODE")
        size = _partition_size(conn, name)
        current = conn.execute(
            "SELECT rolled_changes = changes OR dropped_at IS NOT NULL FROM llm_calls_days "
            "WHERE day = %s",
            (day,),
        ).fetchone()
        if not (current and current[0]):
            roll_day(conn, day)
        conn.execute(f"DROP TABLE {name}")
        conn.execute(
            "UPDATE llm_calls_days SET dropped_at = coalesce(dropped_at, now()) WHERE day = %s",
            (day,),
        )
    return size
