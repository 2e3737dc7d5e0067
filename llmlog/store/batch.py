"""Writing a batch of call records with COPY, idempotent on ``id``.

The fast path COPYs straight into ``llm_calls``. A batch that was (partly) written before
fails on the primary key; it is then staged in a temporary table and inserted with
``ON CONFLICT DO NOTHING``, so writing a batch twice stores each call once.

One bad row must not lose a batch: poison text (U+0000, lone surrogates) is escaped
losslessly before COPY (``records.escape_poison``), oversize content is cut to
``max_payload_bytes`` with a marker, and when a batch still fails on its data it is split
in halves until the offending rows are isolated; those go to ``rejects`` with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from llmlog.store import partitions
from llmlog.store.records import (
    COLUMNS,
    JSON_COLUMNS,
    TRUNCATED,
    JsonText,
    Record,
    complete,
    escape_poison,
    is_poisoned,
    truncate_text,
    truncated_payload,
)

if TYPE_CHECKING:
    import psycopg

_COLUMN_LIST = ", ".join(COLUMNS)
MAX_PAYLOAD_BYTES = 4 * 1024 * 1024
TEXT_LIMITED = ("system_prompt", "output_text", "error_message", "feedback_note")
Reject = tuple[Record, str]


class BatchWriter:
    """Writes batches on one connection, remembering which daily partitions exist."""

    def __init__(
        self, conn: psycopg.Connection, *, max_payload_bytes: int = MAX_PAYLOAD_BYTES
    ) -> None:
        self.conn = conn
        self.max_payload_bytes = max_payload_bytes
        self._days: set[date] = set()

    def write(self, records: Sequence[Record], rejects: list[Reject] | None = None) -> int:
        """Store ``records``; returns how many were new (already stored ids are skipped).

        With a ``rejects`` list, rows the database refuses are isolated and appended to it
        (the rest of the batch is stored); without one, such an error is raised.
        """
        if not records:
            return 0
        self._ensure_partitions(records)
        pairs: list[tuple[Record, tuple[object, ...]]] = []
        for record in records:
            try:
                pairs.append((record, to_row(record, self.max_payload_bytes)))
            except (TypeError, ValueError) as exc:
                if rejects is None:
                    raise
                rejects.append((record, f"cannot serialise: {exc}"))
        return self._write_pairs(pairs, rejects)

    def _write_pairs(
        self, pairs: list[tuple[Record, tuple[object, ...]]], rejects: list[Reject] | None
    ) -> int:
        import psycopg

        if not pairs:
            return 0
        rows = [row for _, row in pairs]
        try:
            try:
                with self.conn.transaction():
                    self._copy(rows, "llm_calls")
                return len(rows)
            except psycopg.errors.UniqueViolation:
                return self._write_idempotent(rows)
        except (psycopg.DataError, psycopg.IntegrityError, UnicodeError) as exc:
            if rejects is None:
                raise
            if len(pairs) == 1:
                rejects.append((pairs[0][0], str(exc).strip().splitlines()[0]))
                return 0
            half = len(pairs) // 2
            return self._write_pairs(pairs[:half], rejects) + self._write_pairs(
                pairs[half:], rejects
            )

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


def to_row(
    record: Record, max_payload_bytes: int = MAX_PAYLOAD_BYTES, *, escaped: bool = False
) -> tuple[object, ...]:
    """The COPY row for a record: defaults filled, poison escaped, oversize content cut,
    JSON columns serialised."""
    record = complete(record)
    values: dict[str, object] = {}
    truncated: list[str] = []
    for name in COLUMNS:
        value = record.get(name)
        if name in JSON_COLUMNS and name != "metadata":
            value = _json_text(value)
            if value is not None and _oversize(value, max_payload_bytes):
                value = _dump(truncated_payload(value, max_payload_bytes))
                truncated.append(name)
        elif name in TEXT_LIMITED and isinstance(value, str):
            cut = truncate_text(value, max_payload_bytes)
            if cut is not value:
                truncated.append(name)
            value = cut
        values[name] = value
    if truncated:
        record["metadata"] = {**(record.get("metadata") or {}), TRUNCATED: truncated}
    values["metadata"] = _dump(record.get("metadata"))
    if not escaped:
        # One pass over all text: NUL (raw, or as a JSON escape) or a lone surrogate.
        blob = "".join(v for v in values.values() if isinstance(v, str))
        if "\\u0000" in blob or is_poisoned(blob):
            return to_row(escape_poison(record), max_payload_bytes, escaped=True)
    return tuple(values[name] for name in COLUMNS)


def _json_text(value: object) -> str | None:
    if isinstance(value, JsonText) and "\\ud" not in value.text and "\\uD" not in value.text:
        return value.text  # as received (surrogate escapes go the escaping way instead)
    return _dump(value)


def _oversize(text: str, limit: int) -> bool:
    # A character is at most 4 bytes: short strings need no encoding to know.
    return len(text) > limit // 4 and len(text.encode("utf-8", "surrogatepass")) > limit


def _dump(value: object) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
