"""What row-level security costs the reports: `python bench/access.py` (issue 23: a tenant
reader's `tail` and `cost-by-feature` within 1.2x of the owner's at 1,000,000 calls).

Runs against the 1M-call store of bench/queries.py (`build`; $LLMLOG_HOME), migrated to
head (0006: RLS) and given the roles of `llmlog access setup` and a tenant login for its
busiest tenant. Each report's SQL (bench/cases.py) is timed, median of 9, on:
superuser   the owner of the embedded store: PostgreSQL skips policies for it (no RLS)
reader      llmlog_reader: goes through the policies, the "all rows" one admits every row
tenant      a tenant login: only its tenant's rows
and, as the tenant's fair baseline, the superuser with the report's --tenant filter (the
same answer without RLS). Then the whole commands as a user runs them (`llmlog --db URL
tail …`, a new process each, median of 9): the tenant login's against the superuser's
with --tenant.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import cases as bench_cases
from bench.queries import median_ms, store
from llmlog.reports.run import execute, tune_session
from llmlog.store import access, migrations
from llmlog.store.connect import SESSION_OPTIONS

LABELS = ("tail -n 20 (24h)", "tail (24h, 50)", "cost-by-feature (30d, by day)")
COMMANDS = (
    ("tail", "-n", "20", "--since", "24h"),
    ("cost-by-feature", "--since", "30d", "--by", "day"),
)
TENANT_ROLE = "bench_tenant"


def session(url: str, role: str | None = None):  # type: ignore[no-untyped-def]
    import psycopg

    extra = {"user": role} if role else {}
    conn = psycopg.connect(url, autocommit=True, options=SESSION_OPTIONS, **extra)
    tune_session(conn, 0)
    return conn


def timed(conn, query, values) -> float:  # type: ignore[no-untyped-def]
    """Median ms of the query, after one run that warms the cache."""
    execute(conn, query, values)
    return median_ms(lambda: execute(conn, query, values))


def main() -> None:
    url, admin = store()
    migrations.upgrade(url)
    access.setup(admin, url, {})
    tenant = admin.execute(
        "SELECT tenant_id FROM llm_calls WHERE ts >= now() - interval '30 days' "
        "AND tenant_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()[0]
    access.grant_tenant(admin, url, tenant, role=TENANT_ROLE)
    share = admin.execute(
        "SELECT avg((tenant_id = %s)::int) FROM llm_calls WHERE ts >= now() - interval '1 day'",
        (tenant,),
    ).fetchone()[0]
    print(f"tenant {tenant!r}: {float(share or 0):.1%} of the last day's calls")
    cutoff = admin.execute("SELECT max(day) + 1 FROM llm_calls_daily").fetchone()[0]
    picked = [c for c in bench_cases.cases(admin, cutoff) if c.label in LABELS]
    sessions = {
        "superuser": session(url),
        "reader": session(url, access.READER),
        "tenant": session(url, TENANT_ROLE),
    }
    print()
    print(
        "| report | superuser ms | reader ms | ratio | superuser --tenant ms | tenant ms | ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for case in picked:
        query, values = bench_cases.bound(case)
        filtered = bench_cases.bound(
            bench_cases.Case(case.label, case.query, {**case.values, "tenant_id": tenant}, "", ())
        )
        times = {name: timed(conn, query, values) for name, conn in sessions.items()}
        times["filtered"] = timed(sessions["superuser"], *filtered)
        rows = len(execute(sessions["tenant"], query, values))
        same = rows == len(execute(sessions["superuser"], *filtered))
        print(
            f"| {case.label} | {times['superuser']:.2f} | {times['reader']:.2f} | "
            f"{times['reader'] / times['superuser']:.2f} | {times['filtered']:.2f} | "
            f"{times['tenant']:.2f} | {times['tenant'] / times['filtered']:.2f} |"
            + ("" if same else " (row counts differ!)")
        )
    print()
    print("| command | superuser --tenant ms | tenant ms | ratio |")
    print("|---|---:|---:|---:|")
    as_tenant = url.replace("://postgres@", f"://{TENANT_ROLE}@", 1)
    for command in COMMANDS:  # alternated, so that a busy moment hits both alike
        owner, mine = [], []
        for _ in range(9):
            owner.append(wall_ms(url, *command, "--tenant", tenant))
            mine.append(wall_ms(as_tenant, *command))
        a, b = statistics.median(owner), statistics.median(mine)
        print(f"| {' '.join(command)} | {a:.0f} | {b:.0f} | {b / a:.2f} |")


def wall_ms(url: str, *args: str) -> float:
    argv = [sys.executable, "-m", "llmlog", "--db", url, *args, "-f", "json"]
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    main()
