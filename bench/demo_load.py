"""How fast ``llmlog demo`` loads, against raw COPY of the same rows, in one run.

    python bench/demo_load.py [--calls 100000] [--rounds 1] [--db URL]

Without --db it starts a throw-away embedded PostgreSQL in a temporary LLMLOG_HOME. Each
round loads into an emptied ``llm_calls`` four ways and prints calls/s:

- generate: building the records only (no database);
- demo: ``llmlog.demo.load.load``, i.e. generate + ``BatchWriter`` (what ``llmlog demo`` runs);
- writer: ``BatchWriter.write`` of pre-generated records (the capture writer's path);
- raw COPY: ``COPY llm_calls FROM STDIN`` of the same rows pre-serialised, 5,000 per
  transaction, partitions made beforehand: the floor set by the server.

The ratios say where the time goes: demo / writer near 1 means generating is not the
bottleneck; writer / raw COPY is the cost of serialising records in Python.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime

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
    from llmlog.store.batch import BatchWriter, to_row
    from llmlog.store.records import COLUMNS, complete

    _, conn = open_store(args.db)
    end = datetime.now(UTC)
    print(f"server {conn.execute('SHOW server_version').fetchone()[0]}, {args.calls:,} calls "
          f"over {DAYS} days, {args.rounds} round(s)", file=sys.stderr)  # fmt: skip

    def generate() -> list:
        return list(Traffic(calls=args.calls, days=DAYS, seed=1, end=end))

    records = generate()
    rows = [to_row(complete(r)) for r in records]
    row_bytes = statistics.fmean(sum(len(str(v)) for v in row if v is not None) for row in rows)
    copy_sql = f"COPY llm_calls ({', '.join(COLUMNS)}) FROM STDIN"

    def demo() -> None:
        load.load(conn, calls=args.calls, days=DAYS, seed=1, end=end)

    def writer() -> None:
        out = BatchWriter(conn)
        for i in range(0, len(records), load.BATCH):
            out.write(records[i : i + load.BATCH])

    def raw_copy() -> None:
        for i in range(0, len(rows), load.BATCH):
            with conn.transaction(), conn.cursor() as cur, cur.copy(copy_sql) as copy:
                for row in rows[i : i + load.BATCH]:
                    copy.write_row(row)

    def fresh() -> None:
        conn.execute("TRUNCATE llm_calls")

    ways: dict[str, Callable[[], object]] = {
        "generate": generate, "demo": demo, "writer": writer, "raw COPY": raw_copy,
    }  # fmt: skip
    rates: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, run in ways.items():
            fresh()
            started = time.perf_counter()
            run()
            rates[name].append(args.calls / (time.perf_counter() - started))
    fresh()
    conn.close()
    med = {name: statistics.median(values) for name, values in rates.items()}
    print(f"avg row {row_bytes:,.0f} B of text")
    for name, rate in med.items():
        print(f"{name:>9}: {rate:>8,.0f} calls/s  ({rate / med['raw COPY']:.2f}x raw COPY)")
    print(f"demo / writer: {med['demo'] / med['writer']:.2f}")


if __name__ == "__main__":
    main()
