"""What a store outage costs the application's calls: above all, a full queue.

Usage: python bench/spool_overflow.py [--calls 1500] [--block 10] [--queue-size 100]

While the store is down the writer spools its batches itself; but when it cannot even
get that far — the store *hangs* (accepts connections, never answers), so the store
thread waits out every connect timeout and the queue fills — each further call
overflows: it is spooled (appended and fsynced) on its way out of the queue. This
measures what the application's thread pays per call then, against the bare client in
the same run, for the short call of bench/capture_overhead.py ("hi", against the local
stub in its own process):

- ``bare``: the SDK client alone (the baseline);
- ``hanging store, queue full``: a wrapped client whose store accepts and never
  answers, after the queue (``--queue-size`` calls, small so that the bench gets there
  at once; 10,000 by default in an application) has filled;
- ``refused store``: a wrapped client whose store refuses connections, with the
  default queue (the writer spools its batches itself; the queue does not fill).

The variants alternate in blocks of ``--block`` calls, in every order in turn. Prints,
per variant, the median and p90 wall time per call and the calling thread's CPU per
call (median), the median added over bare (µs and %), and what the writer counted.
"""

from __future__ import annotations

import argparse
import itertools
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stores import ROOT

STUB = (
    "import time\nfrom tests.stub_provider import StubServer\n"
    "s = StubServer().start()\nprint(s.url, flush=True)\ntime.sleep(3600)\n"
)
MESSAGES = [{"role": "user", "content": "hi"}]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(run: Callable[[], None], walls: list[float], cpus: list[float]) -> None:
    started, cpu = time.perf_counter(), time.thread_time()
    run()
    cpus.append(time.thread_time() - cpu)
    walls.append(time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1500, help="calls per variant")
    parser.add_argument("--block", type=int, default=10)
    parser.add_argument("--queue-size", type=int, default=100)
    args = parser.parse_args()

    import openai

    import llmlog
    from llmlog.capture import writer

    stub = subprocess.Popen([sys.executable, "-c", STUB], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT)  # fmt: skip
    assert stub.stdout is not None
    stub_url = stub.stdout.readline().strip()
    hang = socket.socket()  # accepts (the kernel's backlog), never answers
    hang.bind(("127.0.0.1", 0))
    hang.listen(64)
    spool = Path(tempfile.mkdtemp(prefix="llmlog-bench-spool-"))

    def client() -> Any:
        return openai.OpenAI(api_key="sk-bench", base_url=f"{stub_url}/v1", max_retries=0)

    def call(c: Any) -> Callable[[], None]:
        return lambda: c.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    bare = client()
    outages = {  # label: (store URL, queue size)
        "hanging store, queue full": (
            f"postgresql://x@127.0.0.1:{hang.getsockname()[1]}/x",
            args.queue_size,
        ),
        "refused store": ("postgresql://x@127.0.0.1:9/x", 10_000),
    }
    print(f"{args.calls} calls a variant, blocks of {args.block}, queue_size {args.queue_size}")
    try:
        for label, (url, queue_size) in outages.items():
            llmlog.configure(database_url=url, spool_dir=spool / label.split()[0],
                             queue_size=queue_size, exit_timeout=0.5)  # fmt: skip
            wrapped = llmlog.wrap(client())
            for _ in range(args.queue_size * 3):  # fill the queue (or reach the steady state)
                call(wrapped)()
            time.sleep(0.5)
            variants = {"bare": call(bare), label: call(wrapped)}
            walls: dict[str, list[float]] = {name: [] for name in variants}
            cpus: dict[str, list[float]] = {name: [] for name in variants}
            orders = itertools.cycle(itertools.permutations(variants))
            for _ in range(args.calls // args.block):
                for name in next(orders):
                    for _ in range(args.block):
                        timed(variants[name], walls[name], cpus[name])
            base = statistics.median(walls["bare"])
            print(f"\n{label}:")
            for name in variants:
                median = statistics.median(walls[name])
                added = median - base
                print(
                    f"  {name:<28} median {median * 1e3:6.3f} ms  p90 "
                    f"{percentile(walls[name], 0.9) * 1e3:6.3f} ms  thread CPU "
                    f"{statistics.median(cpus[name]) * 1e6:6.0f} µs  added "
                    f"{added * 1e6:+7.0f} µs ({added / base * 100:+5.1f} %)"
                )
            stats = llmlog.stats()
            print(f"  writer: {stats}")
            writer.shutdown()
    finally:
        stub.kill()
        hang.close()


if __name__ == "__main__":
    main()
