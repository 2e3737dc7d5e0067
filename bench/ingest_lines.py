"""What checking every line costs `llmlog ingest`: `python bench/ingest_lines.py [CALLS]`.

parse    µs per line of demo calls (~4.9 KB): `json.loads` alone (the parse step before
         lines were checked), `orjson.loads`, and `records.from_json` (parse + every
         column checked), medians of 5 runs.
ingest   calls/s of `spool.ingest_file` into a fresh store against `BatchWriter.write` of
         the same records already parsed (the store's own cost), for UUIDv7 ids and for
         the same calls with UUIDv4 ids (other tools' ids: each batch first looks its ids
         up in every partition), medians of 3 runs.
The store is the embedded one of $LLMLOG_HOME (default /tmp/llmlog-ibench).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson

from llmlog.demo.traffic import Traffic
from llmlog.spool import ingest_file
from llmlog.store.batch import BatchWriter
from llmlog.store.records import Record, from_json, to_json

os.environ.setdefault("LLMLOG_HOME", "/tmp/llmlog-ibench")


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def parse(lines: list[bytes]) -> None:
    per_line = {
        "json.loads": median_seconds(lambda: [json.loads(x) for x in lines], 5),
        "orjson.loads": median_seconds(lambda: [orjson.loads(x) for x in lines], 5),
        "from_json (parse + check)": median_seconds(lambda: [from_json(x) for x in lines], 5),
    }
    base = per_line["json.loads"]
    print(f"parse: {len(lines):,} lines of ~{sum(map(len, lines)) / len(lines):,.0f} B")
    print("| step | µs/line (median) | vs json.loads |")
    print("|---|---:|---:|")
    for label, seconds in per_line.items():
        print(f"| {label} | {seconds / len(lines) * 1e6:.1f} | {seconds / base:.2f}x |")


def ingest(records: list[Record], runs: int = 3) -> None:
    from llmlog.store import migrations
    from llmlog.store.admin import init
    from llmlog.store.connect import connect, ensure_database, resolve_url

    init(None)
    home = resolve_url()
    url = home.replace("/llmlog?", "/bench_ingest_lines?")
    foreign = [{**r, "id": uuid.uuid4()} for r in records]
    folder = Path(tempfile.mkdtemp(prefix="llmlog-ibench-"))
    files = {}
    for label, batch in (("UUIDv7 ids", records), ("UUIDv4 ids", foreign)):
        files[label] = folder / f"{label[:6]}.jsonl"
        files[label].write_bytes(b"".join(to_json(r).encode() + b"\n" for r in batch))

    def fresh():  # type: ignore[no-untyped-def]
        with connect(home) as conn:
            conn.execute("DROP DATABASE IF EXISTS bench_ingest_lines WITH (FORCE)")
        ensure_database(url)
        migrations.upgrade(url)
        conn = connect(url)
        BatchWriter(conn).write(records[:1])  # partitions made before timing
        conn.execute("TRUNCATE llm_calls")
        return conn

    rates: dict[str, list[float]] = {}
    for _ in range(runs):
        with fresh() as conn:
            writer = BatchWriter(conn)
            started = time.perf_counter()
            for n in range(0, len(records), 1000):
                writer.write(records[n : n + 1000])
            elapsed = time.perf_counter() - started
            rates.setdefault("BatchWriter.write (parsed)", []).append(len(records) / elapsed)
        for label, path in files.items():
            with fresh() as conn:
                started = time.perf_counter()
                result = ingest_file(conn, path, folder / "rejects")
                elapsed = time.perf_counter() - started
                assert result.stored == len(records) and not result.rejected, result
                rates.setdefault(f"ingest_file, {label}", []).append(len(records) / elapsed)
    base = statistics.median(rates["BatchWriter.write (parsed)"])
    print(f"\ningest: {len(records):,} calls into a fresh store, {runs} runs")
    print("| path | calls/s (median) | vs BatchWriter |")
    print("|---|---:|---:|")
    for label, values in rates.items():
        rate = statistics.median(values)
        print(f"| {label} | {rate:,.0f} | {rate / base:.2f}x |")


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    records = list(Traffic(calls=calls, days=0.02, seed=7, end=datetime.now(UTC)))
    parse([to_json(r).encode() for r in records])
    ingest(records)


if __name__ == "__main__":
    main()
