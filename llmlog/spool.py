"""The spool (records the writer could not store) and ``llmlog ingest`` of JSON-lines files.

Spool layout, in ``$LLMLOG_HOME/spool`` (or ``spool_dir``):

- ``calls-<time>-<pid>.jsonl``: call records in llmlog's JSON form, appended and fsynced
  by one writer, which holds an exclusive ``flock`` on the file while it may still
  append; ``llmlog ingest --spool`` skips a locked file.
- ``feedback-<time>-<pid>.jsonl``: ``{"id", "feedback", "feedback_note"}`` lines for
  feedback given while the store was down; applied after the calls.
- ``rejects/``: lines that could not be stored, kept for a person to look at.

Ingest is exactly-once: each line is checked (``records.validate``) and a bad one is
rejected alone, byte for byte as read; a UUIDv7's ``ts`` is its id's time, so rows are
idempotent on ``id``; an id made by another tool is stored once whatever its ``ts``; a
spool file is removed only after every line of it was stored or moved to ``rejects/``.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from llmlog.ids import is_v7
from llmlog.private import private_dir, private_open, private_write
from llmlog.store.records import Record, from_json, parse_line, to_json, uuid_value

if TYPE_CHECKING:
    import psycopg

BATCH = 1000
# Serialises ingests of ids made by other tools: checking that such an id is not stored
# with another ts, then storing it, is one step.
FOREIGN_ID_LOCK = 7_460_003


class Spool:
    """An append-only spool file owned by one writer (opened lazily, locked while open)."""

    def __init__(self, directory: Path, kind: str = "calls") -> None:
        self.directory = directory
        self.kind = kind
        self._file: IO[str] | None = None
        self._lock = threading.Lock()

    def append(self, lines: Iterable[str]) -> int:
        """Append lines (already JSON) and fsync; returns how many were written."""
        with self._lock:
            handle = self._open()
            count = 0
            for line in lines:
                handle.write(line + "\n")
                count += 1
            handle.flush()
            os.fsync(handle.fileno())
            return count

    def append_records(self, records: Iterable[Record]) -> int:
        return self.append(to_json(r) for r in records)

    def _open(self) -> IO[str]:
        if self._file is None:
            stamp = time.strftime("%Y%m%dT%H%M%S")
            name = f"{self.kind}-{stamp}-{os.getpid()}-{uuid.uuid4().hex[:6]}.jsonl"
            handle = private_open(
                self.directory / name, "a", encoding="utf-8", errors="surrogatepass"
            )
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            self._file = handle
        return self._file

    def close(self) -> None:
        """Release the current file (``ingest --spool`` may take it from now on)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def unlocked(path: Path) -> IO[bytes] | None:
    """``path`` opened and locked, or None while its writer still holds it."""
    handle = path.open("rb")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def pending(directory: Path) -> dict[str, int]:
    """Spool files, calls and feedback lines waiting for ``llmlog ingest --spool``."""
    files = sorted(directory.glob("*.jsonl")) if directory.is_dir() else []
    counts = {"spool_files": len(files), "spool_records": 0, "spool_feedback": 0}
    for path in files:
        key = "spool_feedback" if path.name.startswith("feedback-") else "spool_records"
        with path.open("rb") as handle:
            counts[key] += sum(1 for _ in handle)
    return counts


def publish_stats(directory: Path, stats: dict[str, Any]) -> None:
    """Write a capturing process's counters to ``stats/<pid>.json`` (atomically)."""
    folder = private_dir(directory / "stats")
    data = json.dumps({**stats, "pid": os.getpid(), "at": time.time()})
    private_write(folder / f"{os.getpid()}.json", data.encode())


def capture_stats(directory: Path) -> dict[str, Any]:
    """Counters of the processes capturing now (files of ended processes are removed)."""
    totals = dict.fromkeys(("made", "stored", "spooled", "dropped"), 0)
    live = 0
    for path in (directory / "stats").glob("*.json") if directory.is_dir() else []:
        try:
            data = json.loads(path.read_text())
            os.kill(int(data["pid"]), 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
            continue
        except PermissionError:
            pass  # alive, run by another user
        except (OSError, ValueError, KeyError, TypeError):
            continue
        live += 1
        for key in totals:
            totals[key] += int(data.get(key, 0))
    return {"capturing_processes": live, **{f"capture_{k}": v for k, v in totals.items()}}


@dataclass
class IngestResult:
    lines: int = 0
    stored: int = 0
    duplicates: int = 0
    feedback: int = 0
    rejected: list[tuple[str, int, str]] = field(default_factory=list)  # file, line, reason
    skipped_files: list[str] = field(default_factory=list)
    removed_files: list[str] = field(default_factory=list)

    def add(self, other: IngestResult) -> None:
        self.lines += other.lines
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.feedback += other.feedback
        self.rejected += other.rejected


def _numbered(handle: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """The lines that are not blank, numbered from 1, as bytes (decoding is per line)."""
    for number, line in enumerate(handle, start=1):
        if line.strip():
            yield number, line.rstrip(b"\n")


def ingest_lines(
    conn: psycopg.Connection,
    lines: Iterable[tuple[int, bytes]],
    *,
    source: str,
    rejects: _LazyFile | None,
    max_payload_bytes: int | None = None,
) -> IngestResult:
    """Store call-record lines in batches; bad lines are reported and written to ``rejects``."""
    from llmlog.store.batch import MAX_PAYLOAD_BYTES, BatchWriter

    writer = BatchWriter(conn, max_payload_bytes=max_payload_bytes or MAX_PAYLOAD_BYTES)
    result = IngestResult()
    batch: list[tuple[int, bytes, Record]] = []

    def reject(number: int, line: bytes, reason: str) -> None:
        result.rejected.append((source, number, reason))
        if rejects is not None:
            rejects.write(line + b"\n")

    def store(items: list[tuple[int, bytes, Record]]) -> None:
        refused: list[tuple[Record, str]] = []
        new = writer.write([r for _, _, r in items], refused)
        refused_ids = {r["id"]: reason for r, reason in refused}  # (records refused whole
        for number, line, record in items:  # come back as read from their COPY line)
            if record["id"] in refused_ids:
                reject(number, line, f"the store refused it: {refused_ids[record['id']]}")
        result.stored += new
        result.duplicates += len(items) - len(refused) - new

    def flush() -> None:
        foreign = [r["id"] for _, _, r in batch if not is_v7(r["id"])]
        if not foreign:
            store(batch)
        else:
            conn.execute("SELECT pg_advisory_lock(%s)", (FOREIGN_ID_LOCK,))
            try:
                store(_once_each(conn, batch, foreign, reject))
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (FOREIGN_ID_LOCK,))
        batch.clear()

    for number, line in lines:
        result.lines += 1
        try:
            batch.append((number, line, from_json(line)))
        except ValueError as exc:
            reject(number, line, str(exc))
            continue
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    if rejects is not None:
        rejects.flush()
    return result


def _once_each(
    conn: psycopg.Connection,
    batch: list[tuple[int, bytes, Record]],
    foreign: list[uuid.UUID],
    reject: Any,
) -> list[tuple[int, bytes, Record]]:
    """``batch`` without the lines whose id (made by another tool, so ``ts`` is not its
    time) is stored, or earlier in the batch, with another ``ts``: the key is (id, ts)."""
    held: dict[uuid.UUID, Any] = dict(
        conn.execute("SELECT id, ts FROM llm_calls WHERE id = ANY(%s)", (foreign,)).fetchall()
    )
    kept = []
    for number, line, record in batch:
        at = held.setdefault(record["id"], record["ts"])
        if at != record["ts"]:
            reject(
                number,
                line,
                f"id {record['id']} is already stored with ts {at.isoformat()} — "
                "an id is stored once",
            )
            continue
        kept.append((number, line, record))
    return kept


def ingest_file(conn: psycopg.Connection, path: Path, rejects_path: Path) -> IngestResult:
    """``llmlog ingest FILE``: good lines stored, bad ones in ``rejects_path`` (made anew
    each run, and only when a line is rejected)."""
    rejects_path.unlink(missing_ok=True)
    with path.open("rb") as handle, _LazyFile(rejects_path) as rejects:
        return ingest_lines(conn, _numbered(handle), source=str(path), rejects=rejects)


def ingest_spool(conn: psycopg.Connection, directory: Path) -> IngestResult:
    """``llmlog ingest --spool``: every released spool file, exactly once, then removed."""
    from llmlog.capture.feedback import set_feedback

    total = IngestResult()
    files = sorted(directory.glob("calls-*.jsonl")) + sorted(directory.glob("feedback-*.jsonl"))
    for path in files:
        handle = unlocked(path)
        if handle is None:
            total.skipped_files.append(str(path))
            continue
        with handle, _LazyFile(directory / "rejects" / path.name) as rejects:
            if path.name.startswith("calls-"):
                total.add(ingest_lines(conn, _numbered(handle), source=str(path), rejects=rejects))
            else:
                total.add(
                    _apply_feedback(conn, _numbered(handle), str(path), rejects, set_feedback)
                )
            path.unlink()
        total.removed_files.append(str(path))
    return total


def _apply_feedback(
    conn: psycopg.Connection,
    lines: Iterable[tuple[int, bytes]],
    source: str,
    rejects: _LazyFile,
    apply: Any,
) -> IngestResult:
    result = IngestResult()
    for number, line in lines:
        result.lines += 1
        try:
            data = parse_line(line)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            note = data.get("feedback_note")
            if note is not None and not isinstance(note, str):
                raise ValueError("feedback_note is not a string")
            found = apply(conn, uuid_value("id", data.get("id")), data.get("feedback"), note)
        except ValueError as exc:
            result.rejected.append((source, number, f"bad feedback line: {exc}"))
            rejects.write(line + b"\n")
            continue
        if found:
            result.feedback += 1
        else:
            result.rejected.append((source, number, "no stored call has that id"))
            rejects.write(line + b"\n")
    return result


class _LazyFile:
    """A file appended to, created on first write (so a clean run leaves no empty rejects
    file); lines are written as the bytes they were read as."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[bytes] | None = None

    def write(self, data: bytes) -> None:
        if self._handle is None:
            self._handle = private_open(self.path, "ab")
        self._handle.write(data)

    def flush(self) -> None:
        if self._handle is not None:
            self._handle.flush()

    def __enter__(self) -> _LazyFile:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()
