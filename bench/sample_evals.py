"""Benchmark of `llmlog sample-evals` on a 1,000,000-call store: `python bench/sample_evals.py`.

The store is bench/queries.py's (`LLMLOG_HOME=/tmp/llmlog-qbench-evals python bench/queries.py
build` makes one: 1M demo calls over 60 days); this reads $LLMLOG_HOME (that directory by
default). Printed, as medians:
- the selection (llmlog.evals.select: the candidates scan, then the chosen rows' content)
  against hand-written SQL that scans the same window with the same predicates and returns
  50 full rows in one statement (no turns, strata or dedupe) — with `random`, plus a
  random slice of the window drawn the same way — and the candidates scan alone;
- the whole command (`python -m llmlog sample-evals … > /dev/null`, process start
  included), each run paired with a run of the bare imports so the ratio holds on a busy
  machine. Goal (issue 17): 50 calls over 7 days ≤ 1 s, within 1.5x of the hand-written SQL.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LLMLOG_HOME", "/tmp/llmlog-qbench-evals")

from bench.queries import connect_report_session, hand_written, median_ms
from llmlog.evals.select import REFUSAL_PHRASES, Options, candidates, like_patterns, select
from llmlog.reports.filters import Filters

COLUMNS = """id, ts, trace_id, parent_id, session_id, tenant_id, user_id, feature,
       prompt_version, provider, endpoint, model, response_model, request, system_prompt,
       output_text, tool_calls, finish_reason, input_tokens, output_tokens, cost_usd,
       latency_ms, ttft_ms, status, http_status, error_type, error_message, feedback,
       feedback_note, metadata, replay_of"""
REASONS = f"""
SELECT {COLUMNS}
FROM llm_calls
WHERE ts >= %(since)s AND ts < 'infinity'
  AND (feedback < 0 OR latency_ms >= 5000 OR cost_usd >= 0.10 OR status = 'error'
       OR finish_reason IN ('refusal', 'content_filter')
       OR (status = 'ok' AND lower(left(output_text, 300)) LIKE ANY (%(like)s)))
ORDER BY hashtextextended(id::text, 1)
LIMIT 50
"""
# With `random`, the same question asked by hand also draws a random slice of the window.
WITH_RANDOM = f"""
({REASONS})
UNION ALL
(SELECT {COLUMNS} FROM llm_calls WHERE ts >= %(since)s AND ts < 'infinity'
 ORDER BY hashtextextended(id::text, 2) LIMIT 50)
"""


def main() -> None:
    from llmlog.store.connect import resolve_url

    url = resolve_url()
    conn = connect_report_session(url)
    total = conn.execute("SELECT count(*) FROM llm_calls").fetchone()[0]
    since = datetime.now(UTC) - timedelta(days=7)
    window = conn.execute("SELECT count(*) FROM llm_calls WHERE ts >= %s", (since,)).fetchone()[0]
    print(f"store: {total:,} calls, {window:,} in the last 7 days")
    filters = Filters(since=since)
    patterns = like_patterns(REFUSAL_PHRASES)
    print()
    print("| selection, 7 days | ours ms | hand-written ms | ratio | calls | candidates |")
    print("|---|---:|---:|---:|---:|---:|")
    values = {"since": since, "like": patterns}
    variants = {
        "default reasons, 50": (Options(seed=1), REASONS),
        "+ random, 50": (Options(seed=1, why=(*Options().why, "random")), WITH_RANDOM),
        "--per-feature 5, 50": (Options(seed=1, per_feature=5), REASONS),
    }
    for label, (options, sql) in variants.items():
        chosen = select(conn, filters, options)
        ours = median_ms(lambda o=options: select(conn, filters, o))
        hand = median_ms(lambda q=sql: hand_written(conn, q, values))  # type: ignore[misc]
        print(f"| {label} | {ours:.1f} | {hand:.1f} | {ours / hand:.2f} | "
              f"{len(chosen.calls)} | {chosen.candidates:,} |")  # fmt: skip
    scan = median_ms(lambda: candidates(conn, filters, Options(seed=1)))
    print(f"| candidates scan alone | {scan:.1f} | | | | |")
    no_text = replace(Options(seed=1), why=("thumbs_down", "slow", "expensive", "error"))
    print(f"| scan without refusal (no text read) | "
          f"{median_ms(lambda: candidates(conn, filters, no_text)):.1f} | | | | |")  # fmt: skip
    commands()


def commands() -> None:
    print()
    print("| command | median ms | imports alone, same rounds, ms | ratio | goal ms |")
    print("|---|---:|---:|---:|---:|")
    floor = [sys.executable, "-c", "import typer, rich.console, psycopg"]
    base = [sys.executable, "-m", "llmlog", "sample-evals", "--since", "7d", "--seed", "1"]
    runs = {
        "sample-evals --since 7d --limit 50": [*base, "--limit", "50"],
        "sample-evals … --why …,random -f openai-chat": [
            *base, "--why", "thumbs_down,slow,expensive,refusal,error,random", "-f", "openai-chat",
        ],
    }  # fmt: skip
    for label, argv in runs.items():
        pairs = [(wall_ms(floor), wall_ms(argv)) for _ in range(7)]  # summary lines dropped
        floor_ms = statistics.median(p[0] for p in pairs)
        wall = statistics.median(p[1] for p in pairs)
        print(f"| {label} | {wall:.0f} | {floor_ms:.0f} | {wall / floor_ms:.2f} | 1000 |")


def wall_ms(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    main()
