"""Benchmarks for the report queries: `python bench/queries.py build|ingest|reports|commands`.

build    1,000,000 `llmlog demo` calls over 60 days into the embedded store of $LLMLOG_HOME
         (default /tmp/llmlog-qbench-demo), the days older than 25 rolled up into
         llm_calls_daily, closed days text-indexed. Run once; later runs reuse it.
ingest   COPY throughput of ~4.9 KB calls (BatchWriter.write_rows, the writer's path):
         0001's indexes, + 0002's covering index, + a GIN text index on the open day (why
         --grep indexes closed days only).
reports  each report's SQL against hand-written SQL reading the same data (median ms,
         ratio) twice: all hot (llm_calls_daily emptied for the run, then put back) and as
         built (the old days rolled up; the hand-written SQL then reads those days from
         llm_calls_daily too); EXPLAIN of the plan-time pruning; whole-command wall times
         (tail -n 20 among them) against the bare imports in the same rounds.
commands the whole-command table alone.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from psycopg.rows import dict_row

from bench import cases as bench_cases
from llmlog.demo.traffic import Traffic
from llmlog.reports.run import execute, tune_session
from llmlog.store.batch import BatchWriter, to_row
from llmlog.store.records import complete

HOME = os.environ.setdefault("LLMLOG_HOME", "/tmp/llmlog-qbench-demo")
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


def fill(rows: int, days: int):  # type: ignore[no-untyped-def]
    """The store, filled with ``rows`` demo calls over ``days`` days ending this hour unless
    it holds that many already: (url, connection, the end, or None when nothing was loaded)."""
    url, conn = store()
    have = conn.execute("SELECT count(*) FROM llm_calls").fetchone()[0]
    if have >= rows:
        print(f"store at {url} already holds {have:,} calls")
        return url, conn, None
    from llmlog.demo.load import load, reset

    reset(conn)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    loaded = load(url, calls=rows, days=days, seed=42, end=end)
    print(f"llmlog demo: {loaded.calls:,} calls in {loaded.seconds:.0f} s")
    return url, conn, end


def build() -> None:
    _, conn, end = fill(ROWS, DAYS)
    if end is not None:
        roll_up(conn, end.date() - timedelta(days=ROLLED_AFTER_DAYS))
        conn.execute("VACUUM ANALYZE")
    from llmlog.store import textindex

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


def median_ms(fn, runs: int = 9) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


INGEST_SETUPS = {
    "0001 indexes only": ["DROP INDEX ix_llm_calls_report"],
    "+ covering report index (0002)": [],
    "+ GIN text index on open days": [
        "CREATE INDEX ON llm_calls USING gin (("
        "llmlog_text(system_prompt, output_text, request, tool_calls)))"
    ],
}


def ingest(rows: int = 30_000, runs: int = 3) -> None:
    """COPY throughput (BatchWriter, 5,000 per batch) into a fresh store at head, without the
    covering index, with it, and with a GIN text index too (the naive way to back --grep)."""
    from llmlog.store import migrations
    from llmlog.store.connect import connect, ensure_database, resolve_url

    end = datetime.now(UTC)
    records = list(Traffic(calls=rows, days=0.02, seed=7, end=end))
    prepared = [to_row(complete(r)) for r in records]  # COPY text made before timing
    days = {r["ts"].date() for r in records}
    size = sum(len(row) for row in prepared[:1000]) / 1000
    print(f"ingest: {rows:,} calls of ~{size:,.0f} B (COPY text) per run, {runs} runs")
    home = resolve_url()
    url = home.replace("/llmlog?", "/bench_ingest?")
    results: dict[str, list[float]] = {label: [] for label in INGEST_SETUPS}
    for run in range(runs):
        for label, ddl in INGEST_SETUPS.items():
            with connect(home) as conn:
                conn.execute("DROP DATABASE IF EXISTS bench_ingest WITH (FORCE)")
            ensure_database(url)
            migrations.upgrade(url)
            with connect(url) as conn:
                for statement in ddl:
                    conn.execute(statement)
                writer = BatchWriter(conn)
                writer.write(records[:10])  # the partitions exist before timing
                started = time.perf_counter()
                for n in range(10, rows, BATCH):
                    writer.write_rows(prepared[n : n + BATCH], days)
                results[label].append((rows - 10) / (time.perf_counter() - started))
        print(f"  run {run + 1}: " + ", ".join(f"{v[-1]:,.0f}/s" for v in results.values()))
    base = statistics.median(results["0001 indexes only"])
    print()
    print("| indexes | calls/s (median) | vs 0001 |")
    print("|---|---:|---:|")
    for label, rates in results.items():
        rate = statistics.median(rates)
        print(f"| {label} | {rate:,.0f} | {rate / base:.2f}x |")


def reports() -> None:
    """Each report's SQL vs hand-written SQL (all hot, then rolled up), pruning, commands."""
    url, admin = store()
    put_back(admin)  # rollups a run stopped midway left aside
    cutoff = admin.execute("SELECT max(day) + 1 FROM llm_calls_daily").fetchone()[0]
    conn = connect_report_session(url)
    cases = bench_cases.cases(conn, cutoff)
    print(
        f"store: {conn.execute('SELECT count(*) FROM llm_calls').fetchone()[0]:,} calls, "
        f"{len(existing_partitions(conn))} daily partitions, days before {cutoff} rolled up "
        "into llm_calls_daily (their hot rows kept)"
    )
    admin.execute("CREATE TABLE bench_daily_aside AS TABLE llm_calls_daily")
    admin.execute("TRUNCATE llm_calls_daily")
    try:
        admin.execute("ANALYZE llm_calls_daily")
        compare(conn, cases, rolled=False)
    finally:
        put_back(admin)
    compare(conn, cases, rolled=True)
    commands(cases)


def commands_only() -> None:
    """The whole-command table alone."""
    url, admin = store()
    cutoff = admin.execute("SELECT max(day) + 1 FROM llm_calls_daily").fetchone()[0]
    commands(bench_cases.cases(connect_report_session(url), cutoff))


def connect_report_session(url: str):  # type: ignore[no-untyped-def]
    from llmlog.store.connect import connect

    conn = connect(url)
    tune_session(conn, 0)  # as a report command, without its statement timeout
    return conn


def put_back(admin) -> None:  # type: ignore[no-untyped-def]
    if admin.execute("SELECT to_regclass('bench_daily_aside')").fetchone()[0] is None:
        return
    admin.execute("INSERT INTO llm_calls_daily SELECT * FROM bench_daily_aside")
    admin.execute("DROP TABLE bench_daily_aside")
    admin.execute("ANALYZE llm_calls_daily")


def compare(conn, cases: list[bench_cases.Case], *, rolled: bool) -> None:  # type: ignore[no-untyped-def]
    print()
    print(
        "rolled up: old days from llm_calls_daily (hand-written SQL reads them there too)"
        if rolled
        else "all hot: llm_calls_daily empty, every report reads hot rows only"
    )
    print()
    print(
        "| report | ours ms | hand-written ms | ratio | partitions left by the planner "
        "| of which pruned at run time | planning ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for case in cases:
        bench_cases.run_ours(conn, case)
        query, values = bench_cases.bound(case)
        ours = median_ms(lambda q=query, v=values: execute(conn, q, v))
        hand = median_ms(lambda c=case: hand_written(conn, *c.hand(rolled)))
        planned, late, total, planning = bench_cases.pruning(conn, case)
        print(f"| {case.label} | {ours:.2f} | {hand:.2f} | {ours / hand:.2f} | "
              f"{planned}/{total} | {late} | {planning:.2f} |")  # fmt: skip


def commands(cases: list[bench_cases.Case]) -> None:
    """Whole commands as a person runs them, process start included: each run follows a run
    of the bare imports, so the ratio holds on a busy machine (medians of 7 pairs)."""
    print()
    print("| command | median ms | imports alone, same rounds, ms | ratio | goal ms |")
    print("|---|---:|---:|---:|---:|")
    exe = str(Path(sys.executable).parent / "llmlog")
    floor = [sys.executable, "-c", "import typer, rich.console, psycopg"]
    runs: list[tuple[str, list[str], int | None]] = [("llmlog --help", [exe, "--help"], None)]
    runs += [(f"llmlog {' '.join(c.argv)}", [exe, *c.argv, "--format", "jsonl"], c.goal_ms)
             for c in cases if c.argv]  # fmt: skip
    for label, argv, goal in runs:
        pairs = [(wall_ms(floor), wall_ms(argv)) for _ in range(7)]
        base = statistics.median(p[0] for p in pairs)
        wall = statistics.median(p[1] for p in pairs)
        print(f"| {label} | {wall:.0f} | {base:.0f} | {wall / base:.2f} | {goal or '-'} |")


def wall_ms(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def hand_written(conn, sql: str, values: tuple[object, ...]) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """The hand-written SQL, fetched the same way as ours (dict rows, no prepare)."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql, values, prepare=False)
        return cur.fetchall()


def existing_partitions(conn) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        r[0]
        for r in conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'llm_calls'::regclass"
        )
    ]


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "reports"
    {"build": build, "ingest": ingest, "reports": reports, "commands": commands_only}[what]()


if __name__ == "__main__":
    main()
