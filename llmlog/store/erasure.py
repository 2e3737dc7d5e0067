"""``llmlog forget``: a user's or a tenant's calls removed from everywhere llmlog keeps them.

Rows (content kept or stripped) and the replays of those calls go by DELETE in one
transaction, with their days marked changed so retention rolls them again, and so do
their ids in sample-evals' export history and their judge scores (a rationale quotes the
call); a tenant's rollups go too (rollups hold no
user ids). The Parquet archive and the spool are
rewritten without the matching rows first, each file replaced whole. An audit row in
``llm_erasures`` records when, the kind of selector, a SHA-256 of its value and the
counts, never the content.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from llmlog.errors import UsageError
from llmlog.private import private_fs_file, private_write

if TYPE_CHECKING:
    import psycopg


@dataclass(frozen=True)
class Selector:
    column: str  # user_id | tenant_id: our own names, never user input
    value: str

    def __post_init__(self) -> None:
        if self.column not in ("user_id", "tenant_id"):
            raise ValueError(self.column)
        if not self.value:
            raise UsageError("give a non-empty --user or --tenant")


@dataclass
class Erased:
    calls: int = 0
    replays: int = 0
    rollups: int = 0
    archive_rows: int = 0
    spool_lines: int = 0
    spool_files_in_use: int = 0
    eval_exports: int = 0  # entries of sample-evals' export history naming the calls


def forget(
    conn: psycopg.Connection,
    who: Selector,
    *,
    spool_dir: Path,
    archive_root: str | None = None,
    dry_run: bool = False,
) -> Erased:
    """Remove (or with ``dry_run`` count) everything ``who`` selects."""
    erased = Erased()
    if archive_root:
        erased.archive_rows = _from_archive(archive_root, who, dry_run)
    erased.spool_lines, erased.spool_files_in_use = _from_spool(spool_dir, who, dry_run)
    col = who.column
    with conn.transaction():
        if dry_run:
            erased.calls = _count(conn, f"SELECT count(*) FROM llm_calls WHERE {col} = %s", who)
            erased.replays = _count(conn, _REPLAYS.format(col=col, verb="SELECT count(*)"), who)
            erased.eval_exports = _count(
                conn,
                "SELECT count(*) FROM llm_eval_exported WHERE call_id IN "
                f"(SELECT id FROM llm_calls WHERE {col} = %s "
                f"UNION ALL {_REPLAYS.format(col=col, verb='SELECT id')})",
                who,
            )
        else:
            replays = conn.execute(
                _REPLAYS.format(col=col, verb="DELETE") + _GONE, (who.value, who.value)
            ).fetchall()
            calls = conn.execute(
                f"DELETE FROM llm_calls WHERE {col} = %s" + _GONE, (who.value,)
            ).fetchall()
            erased.replays, erased.calls = len(replays), len(calls)
            gone = replays + calls
            conn.execute("SELECT llmlog_days_changed(%s)", (sorted({day for _, day in gone}),))
            erased.eval_exports = conn.execute(
                "DELETE FROM llm_eval_exported WHERE call_id = ANY(%s)", ([i for i, _ in gone],)
            ).rowcount
            conn.execute("DELETE FROM llm_scores WHERE call_id = ANY(%s)", ([i for i, _ in gone],))
        if col == "tenant_id":
            verb = "SELECT count(*)" if dry_run else "WITH d AS (DELETE"
            tail = "" if dry_run else " RETURNING 1) SELECT count(*) FROM d"
            erased.rollups = _count(
                conn, f"{verb} FROM llm_calls_daily WHERE tenant_id = %s{tail}", who
            )
        if not dry_run:
            conn.execute(
                "INSERT INTO llm_erasures (selector, value_sha256, calls, rollups, "
                "archive_rows, spool_lines) VALUES (%s, %s, %s, %s, %s, %s)",
                (col, hashlib.sha256(who.value.encode()).hexdigest(),
                 erased.calls + erased.replays, erased.rollups, erased.archive_rows,
                 erased.spool_lines),
            )  # fmt: skip
    return erased


# Replays of the selected calls that are not selected themselves (those go with the rest).
_REPLAYS = (
    "{verb} FROM llm_calls WHERE replay_of IN (SELECT id FROM llm_calls WHERE {col} = %s) "
    "AND {col} IS DISTINCT FROM %s"
)


_GONE = " RETURNING id, (ts AT TIME ZONE 'UTC')::date"


def _count(conn: psycopg.Connection, sql: str, who: Selector) -> int:
    row = conn.execute(sql, (who.value,) * sql.count("%s")).fetchone()
    return int(row[0]) if row else 0


def _from_archive(root: str, who: Selector, dry_run: bool) -> int:
    from llmlog.store import archive

    archive.require()
    import fsspec
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    fs, base = fsspec.core.url_to_fs(root)
    removed = 0
    for path in sorted(fs.glob(f"{base.rstrip('/')}/day=*/*.parquet")):
        with fs.open(path, "rb") as handle:
            table = pq.read_table(handle)
        match = pc.fill_null(pc.equal(table[who.column], who.value), False)
        hits = pc.sum(match).as_py() or 0
        if hits and not dry_run:
            folder, name = path.rsplit("/", 1)
            partial = f"{folder}/.{name}.partial"
            with fs.open(partial, "wb") as out:
                pq.write_table(table.filter(pc.invert(match)), out, compression="zstd")
            private_fs_file(fs, partial)
            fs.mv(partial, path)
        removed += hits
    return removed


def _from_spool(directory: Path, who: Selector, dry_run: bool) -> tuple[int, int]:
    """Lines removed from spool files, and files skipped because a writer holds them."""
    from llmlog.spool import unlocked

    removed = in_use = 0
    for path in sorted(directory.glob("calls-*.jsonl")) if directory.is_dir() else []:
        handle = unlocked(path)
        if handle is None:
            in_use += 1
            continue
        with handle:
            lines = handle.read().splitlines(keepends=True)
            kept = [line for line in lines if not _selects(line, who)]
            removed += len(lines) - len(kept)
            if len(kept) < len(lines) and not dry_run:
                private_write(path, b"".join(kept))
    return removed, in_use


def _selects(line: bytes, who: Selector) -> bool:
    try:
        record = json.loads(line)
    except ValueError:
        return False  # not a record: left for ingest to reject
    return isinstance(record, dict) and record.get(who.column) == who.value
