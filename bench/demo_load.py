"""How fast ``llmlog demo`` loads, against raw COPY of the same rows, in one run.

    python bench/demo_load.py [--calls 100000] [--rounds 1] [--db URL] [--no-pg15]

Without --db it starts throw-away servers (bench/stores.py): the embedded PostgreSQL 18
(pglz) and, when installed, Debian's PostgreSQL 15 (lz4), and stops and removes them at
the end. Each round empties ``llm_calls`` before each way of
loading and prints calls/s (median over rounds):

- generate: making the records only (not kept), no database;
- demo xN: ``llmlog.demo.load.load`` with N writer connections (``llmlog demo`` uses 2):
  generate + ``BatchWriter`` (the capture writer's path: records -> COPY rows -> COPY);
- writer x1: ``BatchWriter.write`` of pre-generated records on one connection;
- raw COPY xN: ``COPY llm_calls FROM STDIN`` of the same rows already serialised, 5,000
  per transaction on N connections: the floor the server sets.

demo x2 / raw COPY x2 near 1 would mean generation and serialisation cost nothing.
Wall-clock rates depend on what else the machine runs, so each way also reports CPU time
per call: this process (all threads) and, for a local server, its backends (read
from /proc: the postmaster's children plus the exited ones it accounts for).

Measured 2026-11-23 13:10-13:15 on the 2-core development machine (shared with other
work), 100,000 calls (3.9 KB of content each), this code and, right after, the code before
the perf branch (calls/s, then Python µs/call):

                  PostgreSQL 18.6 (pglz)          PostgreSQL 15.18 (lz4)
                  now            before           now            before
    generate      40,962  24     30,632  33       40,286  25     40,052  25
    demo x1        7,503  65      6,089  99        8,719  64      7,487  92
    demo x2       10,588  62      7,738  95       11,106  66      8,450  93
    writer x1     10,938  26      8,532  57       13,450  26     11,317  52
    raw COPY x1   15,100  11     13,678  12       21,033  11     20,827  16
    raw COPY x2   20,293  11     18,922  12       24,452  12     26,026  11
"""

from __future__ import annotations

import argparse
import gc
import queue
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stores import Store, server_cpu, stores

DAYS = 14


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--db", help="database URL (default: temporary local servers)")
    parser.add_argument("--no-pg15", action="store_true", help="skip Debian's PostgreSQL 15")
    args = parser.parse_args()
    with stores(args.db, pg15=not args.no_pg15) as found:
        for store in found:
            measure(args.calls, args.rounds, store)


def measure(calls: int, rounds: int, store: Store) -> None:
    from llmlog.demo import load
    from llmlog.demo.traffic import Traffic
    from llmlog.store import connect
    from llmlog.store.batch import BatchWriter, row_values
    from llmlog.store.records import COLUMNS

    url, conn = load.open_store(store.url)
    postmaster = store.postmaster
    end = datetime.now(UTC)
    print(f"\n{store.label}, {calls:,} calls over {DAYS} days, {rounds} round(s)")
    records = list(Traffic(calls=calls, days=DAYS, seed=1, end=end))
    rows = [row_values(r) for r in records]
    text = statistics.fmean(sum(len(str(v)) for v in row if v is not None) for row in rows)
    copy_sql = f"COPY llm_calls ({', '.join(COLUMNS)}) FROM STDIN"

    def generate() -> None:
        for _ in Traffic(calls=calls, days=DAYS, seed=1, end=end):
            pass

    def demo(writers: int) -> Callable[[], object]:
        return lambda: load.load(url, calls=calls, days=DAYS, seed=1, end=end, writers=writers)

    def writer() -> None:
        out = BatchWriter(conn)
        for i in range(0, len(records), load.BATCH):
            out.write(records[i : i + load.BATCH])

    def raw_copy(connections: int) -> Callable[[], None]:
        def run() -> None:
            idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
            opened = [connect.connect(url) for _ in range(connections)]
            for target in opened:
                idle.put(target)

            def copy(batch: Sequence[tuple[object, ...]]) -> None:
                target = idle.get()
                with target.transaction(), target.cursor() as cur, cur.copy(copy_sql) as out:
                    for row in batch:
                        out.write_row(row)
                idle.put(target)

            batches = [rows[i : i + load.BATCH] for i in range(0, len(rows), load.BATCH)]
            with ThreadPoolExecutor(connections) as pool:
                list(pool.map(copy, batches))
            for target in opened:
                target.close()

        return run

    ways: dict[str, Callable[[], object]] = {
        "generate": generate,
        "demo x1": demo(1),
        "demo x2": demo(2),
        "writer x1": writer,
        "raw COPY x1": raw_copy(1),
        "raw COPY x2": raw_copy(2),
    }
    gc.set_threshold(50_000, *gc.get_threshold()[1:])  # as the demo loader does, for all
    rates: dict[str, list[float]] = {name: [] for name in ways}
    cpu: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    for _ in range(rounds):
        for name, run in ways.items():
            conn.execute("TRUNCATE llm_calls")
            conn.execute("CHECKPOINT")
            started, client, server = (
                time.perf_counter(),
                time.process_time(),
                server_cpu(postmaster),
            )
            run()
            rates[name].append(calls / (time.perf_counter() - started))
            client = time.process_time() - client
            time.sleep(1)  # closed connections' backends exit and are accounted to the server
            cpu[name].append(
                (client / calls * 1e6, (server_cpu(postmaster) - server) / calls * 1e6)
            )
    conn.execute("TRUNCATE llm_calls")
    conn.close()
    report(rates, cpu, text)


def report(
    rates: dict[str, list[float]], cpu: dict[str, list[tuple[float, float]]], text: float
) -> None:
    med = {name: statistics.median(values) for name, values in rates.items()}
    print(f"average row: {text:,.0f} characters of content")
    print(f"{'':>12}  {'calls/s':>8}  {'x raw COPY x2':>13}  CPU µs/call: python  server")
    for name, rate in med.items():
        python_us = statistics.median(c for c, _ in cpu[name])
        server_us = statistics.median(s for _, s in cpu[name])
        print(f"{name:>12}  {rate:>8,.0f}  {rate / med['raw COPY x2']:>13.2f}  "
              f"{python_us:>18.0f}  {server_us:>6.0f}")  # fmt: skip
    print(f"demo x2 / raw COPY x2 = {med['demo x2'] / med['raw COPY x2']:.2f}; "
          f"demo x1 / raw COPY x1 = {med['demo x1'] / med['raw COPY x1']:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
