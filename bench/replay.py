"""How fast replay is: a batch against a stub answering in 50 ms, and one ``--dry-run``.

Usage: python bench/replay.py [--calls 1000] [--concurrency 20] [--delay 0.05] [--runs 7]

1. Many calls: ``--calls`` stored calls (made through a wrapped SDK against a stub without
   delay) are replayed by ``llmlog.replay.batch.run`` at ``--concurrency`` against a stub
   (its own process) that waits ``--delay`` before each answer, each replay captured into
   the store as it would be by ``llmlog replay --feature …``. The ideal is calls × delay /
   concurrency (1,000 × 50 ms / 20 = 2.5 s); printed: wall time, ratio to the ideal (goal
   ≤ 1.25), and this process's CPU per replay. Also the whole command's wall time
   (``llmlog replay --feature bench --yes``: loading, estimating, sending, summarising).
2. One call: the whole ``llmlog replay ID --dry-run`` command (a new process each time),
   median of ``--runs``, beside ``llmlog show ID`` and a bare ``python -c pass`` measured
   in the same run (goal ≤ 300 ms).

The store is the embedded PostgreSQL in a temporary ``LLMLOG_HOME``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

STUB = (
    "import sys, time\nfrom tests.stub_provider import StubServer\n"
    "s = StubServer().start()\ns.delay = float(sys.argv[1])\n"
    "print(s.url, flush=True)\ntime.sleep(3600)\n"
)


def start_stub(delay: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", STUB, str(delay)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def make_originals(url: str, stub_url: str, count: int) -> list[str]:
    import openai

    import llmlog

    llmlog.configure(database_url=url)
    client = llmlog.wrap(openai.OpenAI(api_key="sk-bench", base_url=f"{stub_url}/v1"))
    ids = []
    with llmlog.context(feature="bench", tenant_id="acme"):
        for n in range(count):
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": f"Question {n}: what is the weather?"},
                ],
            )
            ids.append(str(llmlog.last_call_id()))
    assert llmlog.flush(60)
    return ids


def many(url: str, ids: list[str], concurrency: int, delay: float) -> None:
    from llmlog.replay import Options, Overrides, batch
    from llmlog.store.connect import connect

    with connect(url) as conn:
        calls = batch.load_many(conn, ids)
    cpu, wall = time.process_time(), time.perf_counter()
    summary = batch.run(calls, Overrides(temperature=0.5), Options(), concurrency=concurrency)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    ideal = len(ids) * delay / concurrency
    counts = summary.counts()
    print(
        f"batch.run: {len(ids):,} replays at concurrency {concurrency}, stub {delay * 1000:.0f}"
        f" ms: {wall:.2f} s (ideal {ideal:.2f} s, ratio {wall / ideal:.2f}); "
        f"{cpu / len(ids) * 1000:.2f} ms CPU per replay; {counts}"
    )


def command(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    from bench.stores import stores

    fast, fast_url = start_stub(0.0)
    slow, slow_url = start_stub(args.delay)
    try:
        with stores(None, pg15=False) as found:
            url = found[0].url
            ids = make_originals(url, fast_url, args.calls)
            os.environ.update(OPENAI_API_KEY="sk-bench", OPENAI_BASE_URL=f"{slow_url}/v1")
            many(url, ids, args.concurrency, args.delay)
            exe = [sys.executable, "-m", "llmlog", "--db", url]
            whole = command(
                [
                    *exe,
                    "replay",
                    "--feature",
                    "bench",
                    "--limit",
                    str(args.calls),
                    "--concurrency",
                    str(args.concurrency),
                    "--yes",
                    "-f",
                    "json",
                ],
                1,
            )
            print(
                f"llmlog replay --feature bench --yes (whole command, {args.calls:,} calls): "
                f"{whole / 1000:.2f} s"
            )
            dry = command([*exe, "replay", ids[0], "--dry-run"], args.runs)
            show = command([*exe, "show", ids[0]], args.runs)
            bare = command([sys.executable, "-c", "pass"], args.runs)
            print(
                f"llmlog replay ID --dry-run: {dry:.0f} ms median of {args.runs} "
                f"(llmlog show ID {show:.0f} ms, bare python {bare:.0f} ms)"
            )
    finally:
        fast.kill()
        slow.kill()


if __name__ == "__main__":
    main()
