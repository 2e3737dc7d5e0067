"""Benchmark for `llmlog check`: `python bench/check.py build|run`.

build  1,000,000 `llmlog demo` calls over 60 days into the embedded store of $LLMLOG_HOME
       (default /tmp/llmlog-check-bench), every closed day rolled up into llm_calls_daily
       (retention's roll_day), and a 1 % judge sample of the last 14 days scored. Run once.
run    the bundled default rules, as of a second after the newest call: each rule's
       evaluation (median ms, read-only report session) and the whole command
       `llmlog check --format json` (median wall ms, against the bare imports in the same
       rounds). Goal: whole command <= 1 s.
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

HOME = os.environ.setdefault("LLMLOG_HOME", "/tmp/llmlog-check-bench")

from bench.queries import fill, median_ms, store  # noqa: E402  (after LLMLOG_HOME)

ROWS, DAYS = 1_000_000, 60
FIRING = 5  # llmlog check's exit code when a rule fires


def build() -> None:
    from llmlog.store import retention

    _, conn, end = fill(ROWS, DAYS)
    if end is None:
        return
    today = datetime.now(UTC).date()
    days = [d for (d,) in conn.execute(
        "SELECT DISTINCT (ts AT TIME ZONE 'UTC')::date FROM llm_calls ORDER BY 1"
    ) if d < today]  # fmt: skip
    started = time.perf_counter()
    for day in days:
        with conn.transaction():
            retention.roll_day(conn, day)
    print(f"rolled {len(days)} closed days in {time.perf_counter() - started:.0f} s")
    scored = conn.execute(
        "INSERT INTO llm_scores (call_id, call_ts, judge_model, rubric, rubric_sha256, status, "
        "score, passed) SELECT id, ts, 'bench-judge', 'default', 'bench', 'scored', s, s >= 70 "
        "FROM (SELECT id, ts, 40 + (abs(hashtext(id::text)) %% 60) AS s FROM llm_calls "
        "WHERE ts >= %s AND abs(hashtext(id::text)) %% 100 = 0) AS sample",
        (datetime.now(UTC) - timedelta(days=14),),
    ).rowcount
    print(f"scored {scored:,} calls (1 % of the last 14 days)")
    conn.execute("VACUUM ANALYZE")


def run() -> None:
    from llmlog.check import rules as check_rules
    from llmlog.check.evaluate import evaluate_rule
    from llmlog.reports.run import tune_session
    from llmlog.store.connect import connect

    url, admin = store()
    calls = admin.execute("SELECT count(*) FROM llm_calls").fetchone()[0]
    daily = admin.execute("SELECT count(*) FROM llm_calls_daily").fetchone()[0]
    print(f"store: {calls:,} calls, {daily:,} rollup rows")
    reader = connect(url)
    tune_session(reader, 0)
    # as if run a second after the newest call: the latency rules' 10 minutes hold calls
    now = admin.execute("SELECT max(ts) FROM llm_calls").fetchone()[0] + timedelta(seconds=1)
    recent = admin.execute(
        "SELECT count(*) FROM llm_calls WHERE ts >= %s", (now - timedelta(minutes=10),)
    ).fetchone()[0]
    print(f"checking as of {now:%Y-%m-%d %H:%M:%S} UTC: {recent} calls in the last 10 minutes")
    print()
    print("| rule | metric | SQL median ms |")
    print("|---|---|---:|")
    for rule in check_rules.defaults():
        ms = median_ms(lambda rule=rule: evaluate_rule(reader, rule, now), runs=9)
        print(f"| {rule.name} | {rule.metric} | {ms:.1f} |")
    exe = str(Path(sys.executable).parent / "llmlog")
    argv = [exe, "check", "--format", "json", "--now", now.isoformat()]
    floor = [sys.executable, "-c", "import typer, rich.console, psycopg"]
    pairs = [(wall_ms(floor), wall_ms(argv)) for _ in range(7)]
    wall = statistics.median(p[1] for p in pairs)
    bare = statistics.median(p[0] for p in pairs)
    print()
    print("| command | median wall ms | imports alone ms |")
    print("|---|---:|---:|")
    print(f"| llmlog check --format json (all default rules) | {wall:.0f} | {bare:.0f} |")


def wall_ms(argv: list[str]) -> float:
    """Wall time of a command whose exit code says whether a rule fires (not an error)."""
    started = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode not in (0, FIRING):
        raise SystemExit(f"{argv[1:]} failed: {done.stderr.strip()}")
    return (time.perf_counter() - started) * 1000


def main() -> None:
    {"build": build, "run": run}[sys.argv[1] if len(sys.argv) > 1 else "run"]()


if __name__ == "__main__":
    main()
