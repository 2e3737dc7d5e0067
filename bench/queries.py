"""Benchmarks for the report queries: `python bench/queries.py build|ingest|reports`.

build    1,000,000 synthetic calls over 60 days into the embedded store of $LLMLOG_HOME
         (default /tmp/llmlog-qbench), the days older than 25 rolled up into
         llm_calls_daily, closed days text-indexed. Run once; later runs reuse it.
ingest   COPY throughput of 4-5 KB calls with and without a text index on the open day.
reports  each report's SQL against hand-written SQL for the same question (median ms,
         ratio), EXPLAIN of the plan-time pruning, and whole-command wall times.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synth import Synth
from llmlog.store.batch import BatchWriter

HOME = os.environ.setdefault("LLMLOG_HOME", "/tmp/llmlog-qbench")
ROWS = 1_000_000
DAYS = 60
ROLLED_AFTER_DAYS = 25
BATCH = 5000


def store():  # type: ignore[no-untyped-def]
    from llmlog.store import admin
    from llmlog.store.connect import connect, resolve_url

    admin.init(None)
    url = resolve_url()
    return url, connect(url)


def build() -> None:
    url, conn = store()
    have = conn.execute("SELECT count(*) FROM llm_calls").fetchone()[0]
    if have >= ROWS:
        print(f"store at {url} already holds {have:,} calls")
        return
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    writer = BatchWriter(conn)
    started = time.perf_counter()
    batch = []
    for record in Synth().records(ROWS, start=end - timedelta(days=DAYS), end=end):
        batch.append(record)
        if len(batch) == BATCH:
            writer.write(batch)
            batch = []
    writer.write(batch)
    took = time.perf_counter() - started
    print(f"built {ROWS:,} calls in {took:.0f} s ({ROWS / took:,.0f} calls/s incl. generation)")
    roll_up(conn, end.date() - timedelta(days=ROLLED_AFTER_DAYS))
    conn.execute("VACUUM ANALYZE")
    from llmlog.reports import textindex

    started = time.perf_counter()
    days = textindex.index_closed_days(conn)
    print(f"text-indexed {len(days)} closed days in {time.perf_counter() - started:.0f} s")


def roll_up(conn, before) -> None:  # type: ignore[no-untyped-def]
    """What retention-roll does for the aggregates (its own code lives in its own issue)."""
    keys = "(ts AT TIME ZONE 'UTC')::date, tenant_id, feature, provider, model, prompt_version"
    bound = (datetime(before.year, before.month, before.day, tzinfo=UTC),)
    sums = conn.execute(
        f"SELECT {keys}, count(*), count(*) FILTER (WHERE status = 'error'), "
        "count(*) FILTER (WHERE finish_reason IN ('refusal', 'content_filter')), "
        "coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), "
        "coalesce(sum(cache_read_tokens), 0), coalesce(sum(cache_write_tokens), 0), "
        "coalesce(sum(reasoning_tokens), 0), coalesce(sum(cost_usd), 0), "
        "coalesce(sum(latency_ms), 0), max(latency_ms), count(ttft_ms), "
        f"coalesce(sum(ttft_ms), 0) FROM llm_calls WHERE ts < %s GROUP BY {keys}",
        bound,
    ).fetchall()
    hists: dict[tuple[object, ...], list[list[int]]] = {
        row[:6]: [[0] * 60, [0] * 60] for row in sums
    }
    for which, column in enumerate(("latency_ms", "ttft_ms")):
        for *key, bucket, n in conn.execute(
            f"SELECT {keys}, llmlog_latency_bucket({column}), count(*) FROM llm_calls "
            f"WHERE ts < %s AND {column} IS NOT NULL GROUP BY {keys}, 7",
            bound,
        ):
            hists[tuple(key)][which][bucket - 1] = n
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO llm_calls_daily (day, tenant_id, feature, provider, model, "
            "prompt_version, calls, errors, refusals, input_tokens, output_tokens, "
            "cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd, latency_ms_sum, "
            "latency_ms_max, ttft_calls, ttft_ms_sum, latency_hist, ttft_hist) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(*row, *hists[row[:6]]) for row in sums],
        )
    print(f"rolled up {len(sums):,} daily rows for the days before {before}")


def median_ms(fn, runs: int = 7) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "reports"
    {"build": build}[what]()


if __name__ == "__main__":
    main()
