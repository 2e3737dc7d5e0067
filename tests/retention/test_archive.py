"""--archive: each day's full rows in Parquet before stripping, read back with DuckDB."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from llmlog.errors import UsageError
from llmlog.store.records import Record
from tests.retention.conftest import MARCH, retain

NOW = "2026-03-11T00:30+00:00"
# The README's query: cost-by-feature from the archive alone.
COST_BY_FEATURE = """
SELECT feature, count(*) AS calls, count(*) FILTER (WHERE status = 'error') AS errors,
       sum(cost_usd) AS cost_usd, sum(input_tokens) AS input_tokens,
       sum(output_tokens) AS output_tokens
FROM read_parquet('{root}/*/*.parquet', hive_partitioning = true)
WHERE day >= DATE '2026-03-01' AND day < DATE '2026-03-06'
GROUP BY feature ORDER BY feature
"""


def test_archived_days_give_the_same_totals_in_duckdb_and_keep_their_content(
    march: list[Record], store: psycopg.Connection, tmp_path: Path, llmlog: Any
) -> None:
    root = tmp_path / "archive"
    result = retain(store, NOW, hot=5, keep=9, archive=str(root))  # 1 Mar dropped
    assert [d.isoformat() for d in result.plan.archive] == MARCH[:5]
    assert sorted(p.parent.name for p in root.glob("*/*.parquet")) == [
        f"day={d}" for d in MARCH[:5]
    ]
    got = duckdb.sql(COST_BY_FEATURE.format(root=root)).fetchall()
    report = llmlog("cost-by-feature", "--by", "total", "--since", "2026-03-01",
                    "--until", "2026-03-06", "-f", "json")  # fmt: skip
    want = sorted(json.loads(report.out), key=lambda r: r["feature"])
    assert [(f, n, e, float(c), i, o) for f, n, e, c, i, o in got] == [
        (r["feature"], r["calls"], r["errors"], r["cost_usd"], r["input_tokens"],
         r["output_tokens"]) for r in want
    ]  # fmt: skip
    texts = duckdb.sql(
        f"SELECT output_text, json_extract_string(tool_calls, '$[0].arguments') "
        f"FROM read_parquet('{root}/day=2026-03-02/*.parquet') ORDER BY ts"
    ).fetchall()
    assert texts[0] == ("answer 0 " + "x" * 2000, '{"q": "secret"}')
    assert retain(store, NOW, hot=5, keep=9, archive=str(root)).plan.archive == []


def test_archive_without_the_extra_says_which_to_install(
    store: psycopg.Connection, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if not installed
    with pytest.raises(UsageError, match="needs pyarrow") as raised:
        retain(store, NOW, archive=str(tmp_path))
    assert "llmlog[archive]" in (raised.value.hint or "")


def test_archive_goes_to_any_fsspec_url(march: list[Record], store: psycopg.Connection) -> None:
    import fsspec
    import pyarrow.parquet as pq

    retain(store, NOW, hot=9, archive="memory://llmlog-archive")  # 1 March
    fs = fsspec.filesystem("memory")
    assert fs.ls("/llmlog-archive", detail=False) == ["/llmlog-archive/day=2026-03-01"]
    with fs.open("/llmlog-archive/day=2026-03-01/llm_calls.parquet", "rb") as handle:
        table = pq.read_table(handle)
    assert table.num_rows == 4
    assert str(table.schema.field("cost_usd").type) == "decimal128(20, 10)"


def test_a_late_row_in_a_stripped_day_is_archived_then_stripped(
    march: list[Record], store: psycopg.Connection, tmp_path: Path
) -> None:
    from llmlog.capture.feedback import set_feedback
    from llmlog.ids import new_id, ts_of
    from llmlog.store.batch import BatchWriter
    from tests.retention.conftest import at, day_calls

    root = tmp_path / "archive"
    retain(store, NOW, hot=9, archive=str(root))  # 1 March archived and stripped
    late = day_calls("2026-03-01", 1)[0]
    late["id"] = new_id(at("2026-03-01", 23))
    late["ts"] = ts_of(late["id"])
    BatchWriter(store).write([late])  # content back in a stripped day
    assert set_feedback(store, march[0]["id"], "up")  # a change with no content
    again = retain(store, NOW, hot=9, archive=str(root))
    assert [d.isoformat() for d in again.plan.strip] == ["2026-03-01"]
    assert store.execute(
        "SELECT count(*) FROM llm_calls WHERE output_text IS NOT NULL AND ts < '2026-03-02'"
    ).fetchone() == (0,)
    files = sorted(p.name for p in (root / "day=2026-03-01").glob("*.parquet"))
    assert files == ["late-3.parquet", "llm_calls.parquet"]  # late-N: the day's Nth change
    rows = duckdb.sql(
        f"SELECT count(*), count(output_text) FROM read_parquet('{root}/*/*.parquet')"
    ).fetchall()
    assert rows == [(5, 5)]  # the four first written, and the late one, with content
    assert retain(store, NOW, hot=9, archive=str(root)).plan.rows() == []


def test_a_write_between_archive_and_strip_is_archived_before_its_content_goes(
    march: list[Record], store: psycopg.Connection, tmp_path: Path
) -> None:
    from datetime import date

    from llmlog.store import retention
    from llmlog.store.batch import BatchWriter
    from tests.reports.conftest import call
    from tests.retention.conftest import at

    root = str(tmp_path / "archive")
    day = date(2026, 3, 2)
    retain(store, NOW)  # rolled, nothing archived or stripped yet
    retention.archive_day(store, root, day)
    late = call(at("2026-03-02", 23), feature="late", output_text="written after the archive")
    BatchWriter(store).write([late])  # a late spool ingest, between archive and strip
    retention.strip_day(store, day, archive_root=root)
    assert store.execute(
        "SELECT output_text FROM llm_calls WHERE id = %s", (late["id"],)
    ).fetchone() == (None,)
    archived = duckdb.sql(
        f"SELECT output_text FROM read_parquet('{root}/day=2026-03-02/*.parquet') "
        f"WHERE feature = 'late'"
    ).fetchall()
    assert archived == [("written after the archive",)]
