"""How fast ``llmlog demo`` loads, against raw COPY of the same rows, in one run.

    python bench/demo_load.py [--calls 100000] [--rounds 1] [--db URL]

Without --db it starts a throw-away embedded PostgreSQL in a temporary LLMLOG_HOME. Each
round empties ``llm_calls`` before each way of loading and prints calls/s (median over
rounds):

- generate: building the records only, no database;
- demo xN: ``llmlog.demo.load.load`` with N writer connections (``llmlog demo`` uses 2):
  generate + ``BatchWriter`` (the capture writer's path: records -> COPY rows -> COPY);
- writer x1: ``BatchWriter.write`` of pre-generated records on one connection;
- raw COPY xN: ``COPY llm_calls FROM STDIN`` of the same rows already serialised, 5,000
  per transaction on N connections: the floor the server sets.

demo x2 / raw COPY x2 near 1 means generation and serialisation are not the bottleneck.
"""

from __future__ import annotations

import argparse
import os
import queue
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

DAYS = 14


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--db", help="database URL (default: a temporary embedded store)")
    args = parser.parse_args()
    if not args.db:
        os.environ["LLMLOG_HOME"] = tempfile.mkdtemp(prefix="llmlog-bench-")
    from llmlog.demo import load
    from llmlog.demo.setup import open_store
    from llmlog.demo.traffic import Traffic
    from llmlog.store import connect
    from llmlog.store.batch import BatchWriter, to_row
    from llmlog.store.records import COLUMNS, complete

    url, conn = open_store(args.db)
    end = datetime.now(UTC)
    version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    print(f"PostgreSQL {version}, {args.calls:,} calls over {DAYS} days, {args.rounds} round(s)")

    def generate() -> list[dict[str, Any]]:
        return list(Traffic(calls=args.calls, days=DAYS, seed=1, end=end))

    records = generate()
    rows = [to_row(complete(r)) for r in records]
    text = statistics.fmean(sum(len(str(v)) for v in row if v is not None) for row in rows)
    copy_sql = f"COPY llm_calls ({', '.join(COLUMNS)}) FROM STDIN"

    def demo(writers: int) -> Callable[[], object]:
        return lambda: load.load(url, calls=args.calls, days=DAYS, seed=1, end=end, writers=writers)

    def writer() -> None:
        out = BatchWriter(conn)
        for i in range(0, len(records), load.BATCH):
            out.write(records[i : i + load.BATCH])

    def raw_copy(connections: int) -> Callable[[], None]:
        def copy(batch: Sequence[tuple[object, ...]]) -> None:
            target = idle.get()
            with target.transaction(), target.cursor() as cur, cur.copy(copy_sql) as out:
                for row in batch:
                    out.write_row(row)
            idle.put(target)

        idle: queue.SimpleQueue[Any] = queue.SimpleQueue()

        def run() -> None:
            opened = [connect.connect(url) for _ in range(connections)]
            for c in opened:
                idle.put(c)
            batches = [rows[i : i + load.BATCH] for i in range(0, len(rows), load.BATCH)]
            with ThreadPoolExecutor(connections) as pool:
                list(pool.map(copy, batches))
            for c in opened:
                c.close()

        return run

    ways: dict[str, Callable[[], object]] = {
        "generate": generate,
        "demo x1": demo(1),
        "demo x2": demo(2),
        "writer x1": writer,
        "raw COPY x1": raw_copy(1),
        "raw COPY x2": raw_copy(2),
    }
    rates: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, run in ways.items():
            conn.execute("TRUNCATE llm_calls")
            started = time.perf_counter()
            run()
            rates[name].append(args.calls / (time.perf_counter() - started))
            print(f"  {name}: {rates[name][-1]:,.0f} calls/s", file=sys.stderr)
    conn.execute("TRUNCATE llm_calls")
    conn.close()
    med = {name: statistics.median(values) for name, values in rates.items()}
    print(f"average row: {text:,.0f} characters of content")
    for name, rate in med.items():
        print(f"{name:>12}: {rate:>8,.0f} calls/s  ({rate / med['raw COPY x2']:.2f}x raw COPY x2)")
    print(f"demo x2 / raw COPY x2 = {med['demo x2'] / med['raw COPY x2']:.2f}; "
          f"demo x1 / raw COPY x1 = {med['demo x1'] / med['raw COPY x1']:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
