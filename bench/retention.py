"""Benchmarks for retention-roll: `python bench/retention.py build|report|day [ROWS]`.

build   ROWS (default 1,000,000) `llmlog demo` calls over 60 days, all within the hot window,
        into the embedded store of $LLMLOG_HOME (default /tmp/llmlog-retention-bench-ROWS),
        nothing rolled up. Run once; later runs reuse it.
grow    more days before the oldest, as full as build's, until the table holds ROWS calls
        (`grow 5000000` after `build`: the cost of a day at 5x the table).
report  `cost-by-feature --since 30d`, its SQL (median ms, report session) and the whole
        command (median wall ms, against the bare imports in the same rounds), with every
        day hot (before) and after rolling every closed day (retention's roll_day; each
        day's roll time reported); then the rollups are left in place.
day     the cost of one day's retention at this table size: roll, strip (partition sizes
        before and after) and drop one of the oldest days (median of 3 days each).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from llmlog.reports import sqlfile
from llmlog.reports.filters import Filters
from llmlog.reports.params import bind
from llmlog.reports.run import execute, tune_session
from llmlog.store import retention

ROWS = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
DAYS = 60
HOME = os.environ.setdefault("LLMLOG_HOME", f"/tmp/llmlog-retention-bench-{ROWS}")

from bench.queries import fill, median_ms, store, wall_ms  # noqa: E402  (after LLMLOG_HOME: it sets its own)


def build() -> None:
    _, conn, end = fill(ROWS, DAYS)
    if end is not None:
        conn.execute("VACUUM ANALYZE")


def grow() -> None:
    """Add older days (as many calls a day as build's) until the table holds ROWS calls:
    the same days, a bigger table."""
    url, conn = store()
    have, oldest = conn.execute("SELECT count(*), min(ts) FROM llm_calls").fetchone()
    if have >= ROWS:
        print(f"store at {url} already holds {have:,} calls")
        return
    from llmlog.demo.load import load

    need = ROWS - have
    days = need / (1_000_000 / DAYS)
    loaded = load(url, calls=need, days=days, seed=43, end=oldest)
    print(f"llmlog demo: {loaded.calls:,} more calls over {days:.0f} older days "
          f"in {loaded.seconds:.0f} s")  # fmt: skip
    conn.execute("VACUUM ANALYZE")


def report_sql(conn) -> float:  # type: ignore[no-untyped-def]
    query = sqlfile.load("cost_by_feature")
    since = datetime.now(UTC) - timedelta(days=30)
    values = bind(query, {**Filters(since=since).params(), "by": "total"})
    return median_ms(lambda: execute(conn, query, values), runs=15)


def report_command() -> tuple[float, float]:
    exe = str(Path(sys.executable).parent / "llmlog")
    argv = [exe, "cost-by-feature", "--since", "30d", "--format", "jsonl"]
    floor = [sys.executable, "-c", "import typer, rich.console, psycopg"]
    pairs = [(wall_ms(floor), wall_ms(argv)) for _ in range(7)]
    return statistics.median(p[1] for p in pairs), statistics.median(p[0] for p in pairs)


def report() -> None:
    url, admin = store()
    admin.execute("TRUNCATE llm_calls_daily, llm_calls_days")
    admin.execute("ANALYZE llm_calls_daily")
    reader = retention_session(url)
    calls = admin.execute("SELECT count(*) FROM llm_calls").fetchone()[0]
    from llmlog.store import partitions

    days = len([d for d in partitions.existing_days(admin) if d <= datetime.now(UTC).date()])
    print(f"store: {calls:,} calls over {days} days, every day hot (content kept)")
    print()
    print("| cost-by-feature --since 30d | SQL median ms | whole command median ms "
          "| imports alone ms |")  # fmt: skip
    print("|---|---:|---:|---:|")
    sql = report_sql(reader)
    wall, floor = report_command()
    print(f"| before rollups (all rows) | {sql:.1f} | {wall:.0f} | {floor:.0f} |")
    policy = retention.Policy(hot_days=DAYS + 30, keep_days=DAYS + 60)
    todo = retention.plan(admin, policy).roll
    times = []
    for day in todo:
        started = time.perf_counter()
        with admin.transaction():
            retention.roll_day(admin, day)
        times.append((time.perf_counter() - started) * 1000)
    admin.execute("ANALYZE llm_calls_daily")
    sql = report_sql(reader)
    wall, floor = report_command()
    print(f"| after rolling {len(todo)} closed days | {sql:.1f} | {wall:.0f} | {floor:.0f} |")
    print()
    print(f"roll: {len(todo)} days, median {statistics.median(times):.0f} ms a day "
          f"(max {max(times):.0f} ms), {sum(times) / 1000:.1f} s in all")  # fmt: skip


def retention_session(url: str):  # type: ignore[no-untyped-def]
    from llmlog.store.connect import connect

    conn = connect(url)
    tune_session(conn, 0)
    return conn


def day() -> None:
    admin = store()[1]
    calls = admin.execute("SELECT count(*) FROM llm_calls").fetchone()[0]
    from llmlog.store import partitions

    oldest = sorted(partitions.existing_days(admin))[:3]
    print(f"store: {calls:,} calls; one day's retention, days {oldest[0]}..{oldest[-1]}")
    print()
    print("| step | median ms | partition MB before | after |")
    print("|---|---:|---:|---:|")
    rolls, strips, drops, sizes = [], [], [], []
    for d in oldest:
        started = time.perf_counter()
        with admin.transaction():
            retention.roll_day(admin, d)
        rolls.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        sizes.append(retention.strip_day(admin, d))
        strips.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        retention.drop_day(admin, d)
        drops.append((time.perf_counter() - started) * 1000)
    mb = 1024 * 1024
    before = statistics.median(s[0] for s in sizes) / mb
    after = statistics.median(s[1] for s in sizes) / mb
    print(f"| roll | {statistics.median(rolls):.0f} | | |")
    print(f"| strip | {statistics.median(strips):.0f} | {before:.1f} | {after:.1f} |")
    print(f"| drop | {statistics.median(drops):.0f} | {after:.1f} | 0 |")


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "report"
    {"build": build, "grow": grow, "report": report, "day": day}[what]()


if __name__ == "__main__":
    main()
