"""A day's full rows to Parquet before retention strips their content.

Written to ``ROOT/day=YYYY-MM-DD/llm_calls.parquet`` (and ``late-N.parquet`` for rows that
came after the day was stripped) (Hive-style, so DuckDB, Spark and
Trino read ``day`` as a column) in a directory or any fsspec URL. Each file is written
under a temporary name and then renamed: a run killed midway leaves no half file, and
archiving a day again replaces it. JSON columns are stored as their JSON text, ids as
text, ``cost_usd`` as decimal(20, 10), times as UTC microseconds.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from llmlog.errors import UsageError
from llmlog.private import private_fs, private_fs_file
from llmlog.store.partitions import name_for

if TYPE_CHECKING:
    import psycopg

BATCH = 5000
EXTRA_HINT = "pip install 'llmlog[archive]' (pyarrow and fsspec)"


def require() -> None:
    """UsageError unless the archive extra is installed."""
    try:
        import fsspec  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        raise UsageError("--archive needs pyarrow and fsspec", hint=EXTRA_HINT) from None


def _arrow_schema() -> Any:
    import pyarrow as pa
    from sqlalchemy import types as sa
    from sqlalchemy.dialects.postgresql import JSONB

    from llmlog.store.schema import llm_calls

    def arrow(column: Any) -> Any:
        kind = column.type
        if isinstance(kind, sa.DateTime):
            return pa.timestamp("us", tz="UTC")
        if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float):
            return pa.decimal128(kind.precision, kind.scale)
        for sa_type, pa_type in (
            (sa.SmallInteger, pa.int16()), (sa.BigInteger, pa.int64()),
            (sa.Integer, pa.int32()), (sa.Double, pa.float64()), (sa.Boolean, pa.bool_()),
        ):  # fmt: skip
            if isinstance(kind, sa_type):
                return pa_type
        return pa.string()  # text, and uuid and jsonb as their text

    texts = [c.name for c in llm_calls.columns if isinstance(c.type, (JSONB, sa.Uuid))]
    return pa.schema([(c.name, arrow(c)) for c in llm_calls.columns]), texts


def archive_day(
    conn: psycopg.Connection,
    root: str,
    day: date,
    *,
    part: str = "llm_calls",
    only_content: bool = False,
) -> int:
    """Write ``day``'s rows (``only_content``: those still holding content) to
    ``root/day=…/PART.parquet``; returns how many."""
    import fsspec
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema, texts = _arrow_schema()
    columns = ", ".join(f"{n}::text AS {n}" if n in texts else n for n in schema.names)
    where = (
        " WHERE request IS NOT NULL OR response IS NOT NULL OR system_prompt IS NOT NULL "
        "OR output_text IS NOT NULL"
        if only_content
        else ""
    )
    if (
        only_content
        and not conn.execute(f"SELECT EXISTS (SELECT 1 FROM {name_for(day)}{where})").fetchone()[0]
    ):  # type: ignore[index]
        return 0  # no file for a change that brought no content (feedback)
    fs, base = fsspec.core.url_to_fs(root)
    folder = f"{base.rstrip('/')}/day={day.isoformat()}"
    private_fs(fs, folder)
    target, partial = f"{folder}/{part}.parquet", f"{folder}/.{part}.parquet.partial"
    written = 0
    with (
        conn.transaction(),  # a named cursor needs one
        conn.cursor(name="llmlog_archive") as cur,
        fs.open(partial, "wb") as out,
        pq.ParquetWriter(out, schema, compression="zstd") as writer,
    ):
        cur.execute(f"SELECT {columns} FROM {name_for(day)}{where} ORDER BY ts, id")
        while rows := cur.fetchmany(BATCH):
            batch = pa.RecordBatch.from_pylist(
                [dict(zip(schema.names, row, strict=True)) for row in rows], schema=schema
            )
            writer.write_batch(batch)
            written += len(rows)
    private_fs_file(fs, partial)
    fs.mv(partial, target)
    return written
