"""Writing a batch of call records with COPY, idempotent on ``id``.

The fast path COPYs straight into ``llm_calls``. A batch that was (partly) written before
fails on the primary key; it is then staged in a temporary table and inserted with
``ON CONFLICT DO NOTHING``, so writing a batch twice stores each call once.

One bad row must not lose a batch: poison text (U+0000, lone surrogates) is escaped
losslessly before COPY (``records.escape_poison``), oversize content is cut to
``max_payload_bytes`` with a marker, and when a batch still fails on its data it is split
in halves until the offending rows are isolated; those go to ``rejects`` with the reason.

Rows are sent as ready COPY text (``to_row``), checked for poison as they are escaped:
no second pass over the text as with psycopg's ``write_row``.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmlog.store import partitions
from llmlog.store.records import (
    COLUMNS,
    DEFAULTS,
    JSON_COLUMNS,
    TRUNCATED,
    UUID_COLUMNS,
    JsonText,
    Record,
    complete,
    dumps,
    escape_poison,
    loads,
    truncate_text,
    truncated_payload,
)

if TYPE_CHECKING:
    import psycopg

_COLUMN_LIST = ", ".join(COLUMNS)
# The columns of llm_calls that COPY sends, typed from the catalog (LIKE would need SELECT
# on llm_calls, which a writer role has not).
_STAGE = (
    "DO $$ BEGIN EXECUTE format('CREATE TEMP TABLE IF NOT EXISTS llmlog_stage (%s) "
    "ON COMMIT DELETE ROWS', (SELECT string_agg(format('%I %s', attname, "
    "format_type(atttypid, atttypmod)), ', ' ORDER BY attnum) FROM pg_attribute "
    "WHERE attrelid = 'llm_calls'::regclass AND attnum > 0 AND NOT attisdropped "
    f"AND attname = ANY ('{{{_COLUMN_LIST.replace(' ', '')}}}'))); END $$"
)
MAX_PAYLOAD_BYTES = 4 * 1024 * 1024
TEXT_LIMITED = ("system_prompt", "output_text", "error_message", "feedback_note")
Reject = tuple[Record, str]
SEND_BUFFER = 4 * 1024 * 1024
COPY_CHUNK = 128 * 1024  # bytes of COPY text per write (psycopg splits larger ones by copying)


class BatchWriter:
    """Writes batches on one autocommit connection (each COPY is its own transaction),
    remembering which daily partitions exist."""

    def __init__(
        self, conn: psycopg.Connection, *, max_payload_bytes: int = MAX_PAYLOAD_BYTES
    ) -> None:
        if not conn.autocommit:
            raise ValueError("BatchWriter needs an autocommit connection")
        self.conn = conn
        self.max_payload_bytes = max_payload_bytes
        self._days: set[date] = set()
        # PostgreSQL refuses COPY into a table whose row-level security applies to the
        # session (every role but a superuser's, migration 0006): those go through the stage.
        self._staged = False
        _widen_send_buffer(conn)

    def write(self, records: Sequence[Record], rejects: list[Reject] | None = None) -> int:
        """Store ``records``; returns how many were new (already stored ids are skipped).

        With a ``rejects`` list, rows the database refuses are isolated and appended to it
        (the rest of the batch is stored); without one, such an error is raised.
        """
        rows: list[bytes] = []
        for record in records:
            try:
                rows.append(to_row(record, self.max_payload_bytes))
            except (TypeError, ValueError) as exc:
                if rejects is None:
                    raise
                rejects.append((record, f"cannot serialise: {exc}"))
        return self.write_rows(rows, {r["ts"].date() for r in records}, rejects)

    def write_rows(
        self, rows: list[bytes], days: set[date], rejects: list[Reject] | None = None
    ) -> int:
        """Store ready COPY lines (``to_row``) whose calls fall on ``days``; as ``write``
        (a refused line is reported as its record, ``from_row``)."""
        if not rows:
            return 0
        self._ensure_partitions(days)
        today = datetime.now(UTC).date()
        return self._write_rows(rows, rejects, sorted(d for d in days if d < today))

    def _write_rows(
        self, rows: list[bytes], rejects: list[Reject] | None, closed: list[date]
    ) -> int:
        import psycopg

        try:
            try:
                # One statement, all or nothing by itself: no BEGIN and COMMIT round
                # trips (~60 us a call of the store thread's CPU where batches are small,
                # as for an application streaming long answers).
                if self._staged:
                    return self._write_idempotent(rows, closed)
                with self._marking(closed):
                    self._copy(rows, "llm_calls")
                return len(rows)
            except psycopg.errors.FeatureNotSupported:
                self._staged = True
                return self._write_idempotent(rows, closed)
            except psycopg.errors.UniqueViolation:
                return self._write_idempotent(rows, closed)
        except (
            psycopg.DataError,
            psycopg.IntegrityError,
            psycopg.errors.ProgramLimitExceeded,  # a value too big for an index: the row's
            UnicodeError,
        ) as exc:
            if rejects is None:
                raise
            if len(rows) == 1:
                rejects.append((from_row(rows[0]), str(exc).strip().splitlines()[0]))
                return 0
            half = len(rows) // 2
            return self._write_rows(rows[:half], rejects, closed) + self._write_rows(
                rows[half:], rejects, closed
            )

    @contextlib.contextmanager
    def _marking(self, closed: list[date]) -> Iterator[None]:
        """Rows for days that have closed (a late spool, an old demo) are written in one
        transaction with a mark that makes retention roll those days again."""
        if not closed:
            yield
            return
        with self.conn.transaction():
            yield
            self.conn.execute("SELECT llmlog_days_changed(%s)", (closed,))

    def _ensure_partitions(self, days: set[date]) -> None:
        import psycopg

        days = days - self._days
        if days:
            # A writer role may not create partitions: a missing day's rows go to the
            # default partition, which the owner's next migrate or retention-roll splits.
            with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
                partitions.ensure_days(self.conn, days)
            self._days |= days

    def _copy(self, rows: list[bytes], table: str) -> None:
        with (
            self.conn.cursor() as cur,
            cur.copy(f"COPY {table} ({_COLUMN_LIST}) FROM STDIN") as copy,
        ):
            chunk: list[bytes] = []
            size = 0
            for row in rows:
                chunk.append(row)
                size += len(row)
                if size >= COPY_CHUNK:
                    copy.write(b"".join(chunk))
                    chunk, size = [], 0
            if chunk:
                copy.write(b"".join(chunk))

    def _write_idempotent(self, rows: list[bytes], closed: list[date]) -> int:
        with self._marking(closed), self.conn.transaction():
            self.conn.execute(_STAGE)
            self._copy(rows, "llmlog_stage")
            cur = self.conn.execute(
                f"INSERT INTO llm_calls ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} "
                "FROM llmlog_stage ON CONFLICT DO NOTHING"
            )
            return cur.rowcount


def _widen_send_buffer(conn: psycopg.Connection) -> None:
    """Let the kernel hold about one batch on its way to the server (4 MiB, where
    ``net.core.wmem_max`` allows), so the sending thread hands a batch over at once
    rather than waking, and taking the interpreter lock, for every ~200 KB the server
    reads. Best effort: the default buffer works, only slower."""
    try:
        with socket.socket(fileno=os.dup(conn.pgconn.socket)) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
    except (OSError, ValueError):
        pass


# Where each kind of column sits in ``COLUMNS`` (see ``row_values``).
_DEFAULT_AT = tuple((COLUMNS.index(name), value) for name, value in DEFAULTS.items())
_JSON_AT = tuple((i, n) for i, n in enumerate(COLUMNS) if n in JSON_COLUMNS and n != "metadata")
_LIMITED_AT = tuple((i, n) for i, n in enumerate(COLUMNS) if n in TEXT_LIMITED)
_METADATA_AT = COLUMNS.index("metadata")


def to_row(record: Record, max_payload_bytes: int = MAX_PAYLOAD_BYTES) -> bytes:
    """The COPY text line for a record: defaults filled, oversize content cut, JSON
    columns serialised, poison escaped (``records.escape_poison``)."""
    line = _line(row_values(record, max_payload_bytes))
    if line is None:
        escaped = escape_poison(complete(record))
        line = _line(row_values(escaped, max_payload_bytes), escaped=True)
        if line is None:
            raise ValueError("text that cannot be stored survived escaping")
    return line


def row_values(record: Record, max_payload_bytes: int = MAX_PAYLOAD_BYTES) -> list[object]:
    """The column values in ``COLUMNS`` order: defaults filled, oversize content cut, JSON
    columns serialised (poison is left as it is)."""
    values: list[object] = list(map(record.get, COLUMNS))
    for at, default in _DEFAULT_AT:
        if values[at] is None:
            values[at] = default
    truncated: list[str] = []
    for at, name in _JSON_AT:
        value = values[at]
        if value is not None:
            text = _json_text(value)
            if text is not None and _oversize(text, max_payload_bytes):
                text = dumps(truncated_payload(text, max_payload_bytes))
                truncated.append(name)
            values[at] = text
    quarter = max_payload_bytes // 4  # (a character is at most 4 bytes)
    for at, name in _LIMITED_AT:
        value = values[at]
        if isinstance(value, str) and len(value) > quarter:  # (a subclass too)
            cut = truncate_text(value, max_payload_bytes)
            if cut is not value:
                truncated.append(name)
            values[at] = cut
    metadata = values[_METADATA_AT]
    if truncated:
        metadata = {**(metadata or {}), TRUNCATED: truncated}  # type: ignore[dict-item]
    values[_METADATA_AT] = dumps(metadata)
    return values


def _line(values: list[object], *, escaped: bool = False) -> bytes | None:
    """One line of COPY text, or None when a value holds poison: U+0000 (raw, or unless
    ``escaped`` as a JSON escape) or a lone surrogate."""
    pieces: list[str] = []
    slashed = False  # a backslash in some value: only then can a JSON escape be there
    for value in values:
        kind = type(value)
        if kind is not str:
            if value is None:
                pieces.append("\\N")
                continue
            write = _WRITERS.get(kind)
            if write is not None:  # a number, id, time or boolean: nothing to escape
                pieces.append(write(value))
                continue
            value = _text(value)  # a subclass (of str, too): escaped as any text
        if "\\" in value:
            value = value.replace("\\", "\\\\")
            slashed = True
        if "\n" in value:
            value = value.replace("\n", "\\n")
        if "\r" in value:
            value = value.replace("\r", "\\r")
        if "\t" in value:
            value = value.replace("\t", "\\t")
        if "\x00" in value:
            return None
        pieces.append(value)  # type: ignore[arg-type]
    line = "\t".join(pieces)
    if slashed and not escaped and "\\\\u0000" in line:  # a JSON U+0000 (backslash doubled)
        return None
    try:
        return line.encode() + b"\n"
    except UnicodeEncodeError:
        return None  # a lone surrogate


def _text(value: object) -> str:
    """A value's text as psycopg's text dumpers write it (and PostgreSQL reads it)."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[return-value]
    write = _WRITERS.get(kind)
    if write is None:
        base = next((k for k in _WRITERS if isinstance(value, k)), None)
        if base is None:
            raise TypeError(f"cannot store a {kind.__name__} value")
        write = _WRITERS[base]
    return write(value)


_WRITERS: dict[type, Callable[[Any], str]] = {  # (C-level where there is one)
    str: str.__str__,
    bool: {True: "t", False: "f"}.__getitem__,  # before int: bool is an int
    int: int.__repr__,
    float: float.__repr__,
    Decimal: Decimal.__str__,
    uuid.UUID: lambda value: value.hex,
    datetime: datetime.__str__,
    date: date.__str__,
}


def _json_text(value: object) -> str | None:
    if type(value) is JsonText:
        return value.text
    return dumps(value)


def _oversize(text: str, limit: int) -> bool:
    # A character is at most 4 bytes: short strings need no encoding to know.
    return len(text) > limit // 4 and len(text.encode("utf-8", "surrogatepass")) > limit


# --- From a COPY line back to its record (the spool and rejects of built batches) ------

_UNESCAPE = re.compile(r"\\(.)")
_UNESCAPED = {"n": "\n", "r": "\r", "t": "\t"}
_FLOAT_COLUMNS = frozenset({"ttft_ms", "latency_ms"})
_INT_COLUMNS = frozenset(
    {"input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
     "reasoning_tokens", "http_status", "feedback"}
)  # fmt: skip
_READERS: dict[str, Callable[[str], object]] = {
    **dict.fromkeys(UUID_COLUMNS, uuid.UUID),
    **dict.fromkeys(JSON_COLUMNS, loads),
    **dict.fromkeys(_INT_COLUMNS, int),
    **dict.fromkeys(_FLOAT_COLUMNS, float),
    "ts": datetime.fromisoformat,
    "cost_usd": Decimal,
    "streamed": lambda text: text == "t",
}


def from_row(line: bytes) -> Record:
    """The record a COPY line (``to_row``) stores: NULL columns left out."""
    record: Record = {}
    for name, field in zip(COLUMNS, line.rstrip(b"\n").decode().split("\t"), strict=True):
        if field == "\\N":
            continue
        if "\\" in field:
            field = _UNESCAPE.sub(lambda m: _UNESCAPED.get(m.group(1), m.group(1)), field)
        read = _READERS.get(name)
        record[name] = read(field) if read else field
    return record
