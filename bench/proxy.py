"""What ``llmlog proxy`` adds to a call, and how many calls per second it carries.

Usage: python bench/proxy.py [--calls 600] [--seconds 3] [--rounds 3] [--concurrency 32]
                             [--db URL]

The stub (tests/stub_provider.py) and ``llmlog proxy`` each run in a process of their
own, as a provider and a sidecar would; the proxy captures into the store (the embedded
PostgreSQL 18, or ``--db``). Every figure is measured beside the same calls made straight
to the stub, in the same run:

1. Latency: the OpenAI SDK (sync), one call at a time, direct and through the proxy in
   alternating blocks of 10: a short chat completion, and the same streamed (whole stream,
   and time to the first chunk). Prints the medians, the added median (ms) and the ratio.
2. Throughput: ``--concurrency`` asyncio tasks, each sending the short chat completion
   over a pooled ``httpx2.AsyncClient`` (lighter than the SDK, so that the load is the
   proxy's, not the client's) for ``--seconds``, direct and through the proxy in
   alternating rounds. Prints calls/s (median over rounds) and the ratio, then checks that
   every call made through the proxy was stored (after the proxy's shutdown flush).

The machine's load average is printed before and after: on a shared machine, read the
figures with it. ``PYTHONPATH`` is passed on to the proxy's process (a directory with
httptools or uvloop measures the server with them).

Measured 2026-12-06 on the 2-core machine shared with three other helpers, defaults.
A quiet moment (13:35, load average 0.8-1.3; h11 = the shared venv, httptools = as the
proxy extra installs):

    added to the median call, ms     direct      h11            httptools
      chat completion                0.76-0.84   +0.58 (1.69x)  +0.50 (1.66x)
      stream, whole                  1.44-1.56   +0.62 (1.40x)  +0.51 (1.35x)
      stream, first chunk            0.90-0.94   +0.60 (1.63x)  +0.50 (1.56x)
    calls/s, 32 concurrent           2,845-2,890 1,648 (0.58x)  1,846 (0.64x)
    proxy CPU per call               -           517 us         447 us
    stored / made through the proxy              17,519/17,519  19,610/19,610

Busy moments (13:24-13:30, load average 2.6-4.4, two runs each): added +0.72 to +0.91 ms
(h11) and +0.75 to +0.90 ms (httptools) to the call, +0.46 to +0.83 and +0.52 to +0.58 ms
to the first chunk, +0.62 to +1.03 and +0.67 to +0.90 ms to the whole stream; 995 and
1,066 calls/s (h11), 891 and 1,213 (httptools), 0.47-0.52x direct; 526-573 and 462-503 us
of CPU per call. The proxied calls/s are bound by the two cores the client, the proxy and
the stub share (and the other helpers use): the proxy's own process needs ~0.45-0.57 ms
of CPU a call, 1,744 to 2,237 calls/s per core. With httptools and uvloop: 415 us a call.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stores import ROOT, stores

STUB = (
    "import time\nfrom tests.stub_provider import StubServer\n"
    "s = StubServer().start()\nprint(s.url, flush=True)\ntime.sleep(3600)\n"
)
HI = [{"role": "user", "content": "hi"}]
BODY = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
KEY = "sk-bench-0000000000000000"
TICK = os.sysconf("SC_CLK_TCK")


def start_stub() -> tuple[subprocess.Popen[str], str]:
    stub = subprocess.Popen(
        [sys.executable, "-c", STUB], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert stub.stdout is not None
    return stub, stub.stdout.readline().strip()


def start_proxy(db: str, stub_url: str) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "llmlog", "--db", db, "proxy", "--port", "0",
               "--openai-upstream", f"{stub_url}/v1", "--feature", "bench"]  # fmt: skip
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    proxy = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    assert proxy.stderr is not None
    for line in proxy.stderr:
        found = re.search(r"listening on (http://\S+) ", line)
        if found:
            return proxy, found.group(1)
    raise SystemExit(f"llmlog proxy did not start (exit {proxy.wait()})")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


# --- 1. latency ---------------------------------------------------------------------


def latency(stub_url: str, proxy_url: str, calls: int, block: int = 10) -> None:
    import openai

    clients = {
        "direct": openai.OpenAI(api_key=KEY, base_url=f"{stub_url}/v1", max_retries=0),
        "proxy": openai.OpenAI(api_key=KEY, base_url=f"{proxy_url}/v1", max_retries=0),
    }

    def call(client: Any) -> tuple[float, float]:
        started = time.perf_counter()
        client.chat.completions.create(model="gpt-4o-mini", messages=HI)
        return (time.perf_counter() - started) * 1000, 0.0

    def stream(client: Any) -> tuple[float, float]:
        started = time.perf_counter()
        first = None
        for _ in client.chat.completions.create(model="gpt-4o-mini", messages=HI, stream=True):
            first = first or time.perf_counter()
        assert first is not None
        return (time.perf_counter() - started) * 1000, (first - started) * 1000

    print(f"\n1. latency, one call at a time, {calls} calls per variant ({load()})")
    print(f"  {'call':<28}{'direct ms':>10}{'proxy ms':>10}{'added ms':>10}{'ratio':>8}")
    for label, run, part in (
        ("chat completion", call, 0),
        ("streamed, whole stream", stream, 0),
        ("streamed, first chunk", stream, 1),
    ):
        times = alternate(clients, lambda c, run=run, part=part: run(c)[part], calls, block)
        direct, proxy = statistics.median(times["direct"]), statistics.median(times["proxy"])
        print(f"  {label:<28}{direct:>10.3f}{proxy:>10.3f}{proxy - direct:>+10.3f}"
              f"{proxy / direct:>8.2f}")  # fmt: skip


def alternate(
    clients: dict[str, Any], run: Callable[[Any], float], calls: int, block: int
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in clients}
    for client in clients.values():  # warm-up: connections, imports, caches
        for _ in range(30):
            run(client)
    for round_no in range(max(1, calls // block)):
        order = list(clients) if round_no % 2 == 0 else list(reversed(clients))
        for name in order:
            times[name] += [run(clients[name]) for _ in range(block)]
    return times


# --- 2. throughput ------------------------------------------------------------------


async def sustained(base: str, seconds: float, concurrency: int) -> int:
    """Calls answered in ``seconds`` by ``concurrency`` tasks that each call in a loop."""
    import httpx2

    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
    async with httpx2.AsyncClient(base_url=base, limits=limits, headers=headers) as client:
        done = 0
        ends = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < ends:
                response = await client.post("/v1/chat/completions", content=BODY)
                assert response.status_code == 200, response.text
                done += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done


def cpu(pid: int) -> float:
    """CPU seconds process ``pid`` has used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def throughput(
    stub_url: str, proxy_url: str, seconds: float, rounds: int, concurrency: int, proxy_pid: int
) -> int:
    print(f"\n2. throughput, {concurrency} concurrent calls, {rounds} rounds of {seconds:g} s "
          f"({load()})")  # fmt: skip
    rates: dict[str, list[float]] = {"direct": [], "proxy": []}
    proxied = 0
    asyncio.run(sustained(stub_url, 0.5, concurrency))  # warm-up
    proxied += asyncio.run(sustained(proxy_url, 0.5, concurrency))
    proxy_cpu, timed = 0.0, 0
    for round_no in range(rounds):
        order = ("direct", "proxy") if round_no % 2 == 0 else ("proxy", "direct")
        for name in order:
            used = cpu(proxy_pid)
            target = proxy_url if name == "proxy" else stub_url
            count = asyncio.run(sustained(target, seconds, concurrency))
            rates[name].append(count / seconds)
            if name == "proxy":
                proxied += count
                timed += count
                proxy_cpu += cpu(proxy_pid) - used
    direct, proxy = statistics.median(rates["direct"]), statistics.median(rates["proxy"])
    each = {name: ", ".join(f"{r:,.0f}" for r in values) for name, values in rates.items()}
    print(f"  direct to the stub   {direct:>8,.0f} calls/s  (rounds: {each['direct']})")
    print(f"  through the proxy    {proxy:>8,.0f} calls/s  (rounds: {each['proxy']}), "
          f"{proxy / direct:.2f}x direct")  # fmt: skip
    print(f"  the proxy's process (server, capture, writer): {proxy_cpu / timed * 1e6:.0f} µs "
          f"of CPU per call, i.e. {timed / proxy_cpu:,.0f} calls/s per core")  # fmt: skip
    return proxied


def stored(db: str) -> int:
    import psycopg

    with psycopg.connect(db) as conn:
        row = conn.execute("SELECT count(*) FROM llm_calls WHERE feature = 'bench'").fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=600)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--db")
    args = parser.parse_args()
    print(f"bench/proxy.py on {os.cpu_count()} CPUs ({load()})")
    with stores(args.db, pg15=False) as found:
        store = found[0]
        print(f"store: {store.label}")
        stub, stub_url = start_stub()
        proxy, proxy_url = start_proxy(store.url, stub_url)
        try:
            latency(stub_url, proxy_url, args.calls)
            proxied = throughput(
                stub_url, proxy_url, args.seconds, args.rounds, args.concurrency, proxy.pid
            )
        finally:
            proxy.send_signal(signal.SIGTERM)  # it flushes what it captured, then exits
            proxy.wait(120)
            stub.terminate()
        count = stored(store.url)
        made = proxied + 3 * args.calls + 90  # throughput, then latency's calls and warm-ups
        print(f"\nstored: {count:,} calls through the proxy ({made:,} made; {load()})")


if __name__ == "__main__":
    main()
