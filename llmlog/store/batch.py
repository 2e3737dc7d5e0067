"""Writing a batch of call records with COPY, idempotent on ``id``.

The fast path COPYs straight into ``llm_calls``. A batch that was (partly) written before
fails on the primary key; it is then staged in a temporary table and inserted with
``ON CONFLICT DO NOTHING``, so writing a batch twice stores each call once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from llmlog.store import partitions
from llmlog.store.records import COLUMNS, JSON_COLUMNS, Record, complete

if TYPE_CHECKING:
    import psycopg

_COLUMN_LIST = ", ".join(COLUMNS)


class BatchWriter:
    """Writes batches on one connection, remembering which daily partitions exist."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self._days: set[date] = set()

    def write(self, records: Sequence[Record]) -> int:
        """Store ``records``; returns how many were new (already stored ids are skipped)."""
        if not records:
            return 0
        self._ensure_partitions(records)
        rows = [to_row(complete(r)) for r in records]
        import psycopg

        try:
            with self.conn.transaction():
                self._copy(rows, "llm_calls")
            return len(rows)
        except psycopg.errors.UniqueViolation:
            return self._write_idempotent(rows)

    def _ensure_partitions(self, records: Sequence[Record]) -> None:
        days = {r["ts"].date() for r in records} - self._days
        if days:
            partitions.ensure_days(self.conn, days)
            self._days |= days

    def _copy(self, rows: list[tuple[object, ...]], table: str) -> None:
        with (
            self.conn.cursor() as cur,
            cur.copy(f"COPY {table} ({_COLUMN_LIST}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def _write_idempotent(self, rows: list[tuple[object, ...]]) -> int:
        with self.conn.transaction():
            self.conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS llmlog_stage "
                "(LIKE llm_calls INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
            self._copy(rows, "llmlog_stage")
            cur = self.conn.execute(
                f"INSERT INTO llm_calls ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} "
                "FROM llmlog_stage ON CONFLICT DO NOTHING"
            )
            return cur.rowcount


def to_row(record: Record) -> tuple[object, ...]:
    """The COPY row for a record, JSON columns serialised."""
    return tuple(
        _dump(record.get(name)) if name in JSON_COLUMNS else record.get(name) for name in COLUMNS
    )


def _dump(value: object) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
