"""What capture costs the application, and how many calls per second the writer stores.

Usage: python bench/capture_overhead.py [--calls 2000] [--records 30000] [--rounds 3]
                                        [--db URL] [--no-pg15] [--skip-overhead]
                                        [--skip-throughput]

1. Added time per call against the local stub (tests/stub_provider.py, its own process):
   bare client vs ``llmlog.wrap``'d client vs the seeds' naive pattern (a synchronous
   INSERT + commit per call) vs, when installed (``pip install -e ".[bench]"``),
   Langfuse's OpenAI drop-in (DESIGN §8's peer), streamed and not, for a short call
   ("hi") and a realistic one (~2 KB of prompt, ~1.5 KB answered). The variants alternate
   in rounds of a few calls each, in every order in turn, so drift and noise on a shared
   machine (and the server work the naive INSERTs leave behind) hit all of them alike.
   Prints median and p99 per call, the median added time over bare (ms and %), the
   calling thread's CPU per call (median; what the application's own thread pays), a
   bootstrap 95 % interval for the wrapped call's added median (what this run's noise
   alone allows) and the first quartile's shift, the median of the per-round ratios
   wrapped/bare, and the CPU the writer's threads spent per captured call (off the
   application's thread).
2. Writer throughput per store: realistic calls (~4 KB of prompt and response on the wire)
   into the partitioned, indexed table, in rounds that alternate the ways of writing:
   raw COPY of ready rows with psycopg's ``write_row`` (the baseline, as in
   ../shared/PG_BASELINE.md), the same rows' COPY text sent as is (the server's floor),
   the BatchWriter (records -> rows -> COPY) and the whole writer (parse, cost, privacy,
   COPY). Prints calls/s (median over rounds), the ratio to raw COPY in the same round,
   and CPU per call: this process and the server's backends.

Stores: the embedded PostgreSQL 18 (pglz) and, when installed, Debian's PostgreSQL 15
(lz4), both started in temporary directories; or only ``--db URL``.

Measured 2026-12-06 on a 2-core machine of the same kind (shared), defaults, Langfuse
5.0.4, three runs of the final code (03:53, 04:02, 04:32):

    added per call (median over bare)   wrapped                  Langfuse        naive
      short, bare 0.83-0.98 ms          +15, +24, +17 µs         +26, +27, +26 % +69 to +82 %
                                        (+1.7, +2.4, +2.1 %)
      short stream, bare 1.52-1.75 ms   +1.5, +1.9, +1.9 %       +19 to +21 %    +42 to +49 %
      realistic, bare 1.07-1.10 ms      +2.2, +1.8, +1.2 %       +21 to +22 %    +58 to +62 %
      realistic stream, bare 19-20 ms   +0.5, +0.9, +0.6 %       +8.2 to +9.5 %  +23 to +25 %
    wrapped short call: 95 % intervals +10..+20, +12..+37, +14..+20 µs; per-round ratios
    1.021, 1.029, 1.018
    writer, calls/s (x raw COPY)
      PG 18 whole writer                22,630 (0.91), 23,451 (0.89), 23,352 (0.93)
      PG 15 whole writer                24,856 (0.89), 26,535 (0.87), 26,350 (0.89)

The calling thread's CPU grew by 2.1 to 3.2 % on short calls: about 12-15 µs a call is
the tee's own, in place after the SDK's work (docs/capture.md, "Overhead"). One run's
median difference moves by ±5 to ±15 µs from run to run, more than its bootstrap
interval: read several runs. Earlier runs on slower machines of the same kind (the bare
short call 1.2 to 2 ms): +0.9 to +7.6 % for a short call, the writer 11,500 to 18,700
calls/s (0.74-0.95x raw COPY). The BatchWriter way makes a batch's lines and then sends
them; the whole writer builds the next batch while the server takes the last.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stores import ROOT, Store, server_cpu, stores, thread_cpu

FILLER = "Our refund policy covers unopened items within 30 days of delivery. " * 30
CALLS = {  # what each kind of call sends; the stub answers "essay" with ~1.5 KB of text
    "short": [{"role": "user", "content": "hi"}],
    "realistic": [
        {"role": "system", "content": "You are the support assistant for Acme. " + FILLER[:800]},
        {"role": "user", "content": "Write a short essay on our policy. " + FILLER[:1200]},
    ],
}
STUB = (
    "import time\nfrom tests.stub_provider import StubServer\n"
    "s = StubServer().start()\nprint(s.url, flush=True)\ntime.sleep(3600)\n"
)
WRITER_THREADS = ("llmlog-writer", "llmlog-store")
BATCH = 1000  # calls per COPY transaction in the throughput runs


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def median_shift_ci(
    base: list[float], other: list[float], resamples: int = 400
) -> tuple[float, float]:
    """A bootstrap 95 % interval for median(other) - median(base): how far this run's
    noise alone moves the difference of two medians."""
    rng = random.Random(0)
    shifts = sorted(
        statistics.median(rng.choices(other, k=len(other)))
        - statistics.median(rng.choices(base, k=len(base)))
        for _ in range(resamples)
    )
    return shifts[int(0.025 * resamples)], shifts[int(0.975 * resamples) - 1]


def fresh_table(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE llm_calls")


# --- 1. per-call overhead ------------------------------------------------------------


def naive_insert(
    conn: Any, messages: Any, model: str, body: str, text: str | None, started: float
) -> None:
    """The seeds' pattern: build a row from the response, INSERT it, commit, per call."""
    from llmlog.ids import new_id, ts_of

    call_id = new_id()
    conn.execute(
        "INSERT INTO llm_calls (id, ts, trace_id, provider, endpoint, model, request, response, "
        "output_text, latency_ms, status) "
        "VALUES (%s, %s, %s, 'openai', 'chat.completions', %s, %s, %s, %s, %s, 'ok')",
        (
            call_id, ts_of(call_id), str(call_id), model,
            json.dumps({"model": "gpt-4o-mini", "messages": messages}), body, text,
            (time.perf_counter() - started) * 1000,
        ),
    )  # fmt: skip
    conn.commit()


def langfuse_dropin(stub_url: str) -> Any:
    """Langfuse's OpenAI drop-in (the peer DESIGN §8 cites), if installed (``.[bench]``):
    the chat completions ``create`` it patches the SDK with, the SDK's own put back. Its
    patch applies to every client in the process, so the rounds put the method they
    measure in place. Its spans go to the stub, which takes them."""
    from openai.resources.chat.completions import Completions

    original = Completions.__dict__["create"]
    os.environ.update(
        LANGFUSE_PUBLIC_KEY="pk-lf-bench", LANGFUSE_SECRET_KEY="sk-lf-bench",
        LANGFUSE_HOST=stub_url, LANGFUSE_BASE_URL=stub_url,
    )  # fmt: skip
    try:
        import langfuse.openai  # noqa: F401  (patches the SDK)
    except ImportError:
        print("  (Langfuse's drop-in not measured: pip install -e '.[bench]')")
        return None
    patched = Completions.__dict__["create"]
    Completions.create = original
    return patched


def overhead(url: str, calls: int, block: int = 10) -> None:
    import openai
    import psycopg
    from openai.resources.chat.completions import Completions

    import llmlog

    stub = subprocess.Popen(
        [sys.executable, "-c", STUB], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )  # its own process, as a real provider would be: no share of our GIL
    assert stub.stdout is not None
    stub_url = stub.stdout.readline().strip()
    original = Completions.__dict__["create"]
    peer = langfuse_dropin(stub_url)
    llmlog_configure(url)
    bare = openai.OpenAI(api_key="sk-bench", base_url=f"{stub_url}/v1", max_retries=0)
    wrapped = llmlog.wrap(bare)
    naive_conn = psycopg.connect(url)

    def plain(client: Any, messages: Any, stream: bool) -> Callable[[], None]:
        def run() -> None:
            if stream:
                for _ in client.chat.completions.create(
                    model="gpt-4o-mini", messages=messages, stream=True
                ):
                    pass
            else:
                client.chat.completions.create(model="gpt-4o-mini", messages=messages)

        return run

    def naive(messages: Any, stream: bool) -> Callable[[], None]:
        def run() -> None:
            started = time.perf_counter()
            if not stream:
                response = bare.chat.completions.create(model="gpt-4o-mini", messages=messages)
                text = response.choices[0].message.content
                body = response.model_dump_json()
                naive_insert(naive_conn, messages, response.model, body, text, started)
                return
            chunks = list(
                bare.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True)
            )
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
            body = json.dumps([c.model_dump() for c in chunks])
            naive_insert(naive_conn, messages, chunks[0].model, body, text, started)

        return run

    for kind, stream in itertools.product(CALLS, (False, True)):
        messages = CALLS[kind]
        variants = {
            "bare": plain(bare, messages, stream),
            "wrapped": plain(wrapped, messages, stream),
            "naive INSERT": naive(messages, stream),
        }
        # The SDK method each variant runs with (only the peer's differs).
        methods = dict.fromkeys(variants, original)
        if peer:
            variants["Langfuse drop-in"] = plain(bare, messages, stream)
            methods["Langfuse drop-in"] = peer
        times: dict[str, list[float]] = {name: [] for name in variants}
        cpu: dict[str, list[float]] = {name: [] for name in variants}  # the calling thread's
        ratios: list[float] = []  # per round: median wrapped / median bare
        for name, run in variants.items():  # warm-up: connections, imports, caches
            Completions.create = methods[name]
            for _ in range(50):
                run()
        llmlog.flush(30)
        made, writer_cpu = llmlog.stats()["made"], thread_cpu(WRITER_THREADS)
        # Every order of the variants in turn: each one runs first, last, and right after
        # each other one equally often (the naive INSERTs leave the server busy for the
        # next calls, whichever variant makes them).
        orders = list(itertools.permutations(variants))
        for round_no in range(max(1, calls // block)):
            current: dict[str, list[float]] = {}
            for name in orders[round_no % len(orders)]:
                run = variants[name]
                Completions.create = methods[name]
                current[name] = []
                for _ in range(block):
                    started, on_cpu = time.perf_counter(), time.thread_time()
                    run()
                    current[name].append((time.perf_counter() - started) * 1000)
                    cpu[name].append((time.thread_time() - on_cpu) * 1000)
                times[name] += current[name]
            ratios.append(
                statistics.median(current["wrapped"]) / statistics.median(current["bare"])
            )
        llmlog.flush(30)
        captured = llmlog.stats()["made"] - made
        writer_us = (thread_cpu(WRITER_THREADS) - writer_cpu) / max(captured, 1) * 1e6
        base, base_cpu = statistics.median(times["bare"]), statistics.median(cpu["bare"])
        print(f"\n{kind}, {'streamed' if stream else 'non-streamed'} chat completion, "
              f"{len(times['bare'])} calls per variant, alternating rounds of {block}")  # fmt: skip
        print(f"  {'variant':<17}{'median ms':>10}{'p99 ms':>9}{'added ms':>10}{'added %':>9}"
              f"{'CPU ms':>8}{'added':>8}")  # fmt: skip
        for name, values in times.items():
            median, on_cpu = statistics.median(values), statistics.median(cpu[name])
            print(
                f"  {name:<17}{median:>10.3f}{percentile(values, 0.99):>9.3f}"
                f"{median - base:>+10.3f}{(median - base) / base * 100:>+8.1f}%"
                f"{on_cpu:>8.3f}{(on_cpu - base_cpu) / base_cpu * 100:>+7.1f}%"
            )
        low, high = median_shift_ci(times["bare"], times["wrapped"])
        quartile = percentile(times["wrapped"], 0.25) - percentile(times["bare"], 0.25)
        print(f"  wrapped - bare: median's 95% bootstrap interval {low:+.3f} to {high:+.3f} ms, "
              f"first quartile {quartile:+.3f} ms")  # fmt: skip
        print(f"  wrapped/bare, median of {len(ratios)} per-round ratios: "
              f"{statistics.median(ratios):.3f}; writer threads' CPU per captured call: "
              f"{writer_us:.0f} µs")  # fmt: skip
    print(f"  writer stats: {llmlog.stats()}")
    naive_conn.close()
    if peer:
        from langfuse import get_client

        get_client().shutdown()  # its last spans, while the stub still takes them
    stub.terminate()


# --- 2. writer throughput --------------------------------------------------------------


def realistic_exchange(i: int) -> Any:
    import httpx2

    from llmlog.capture.exchange import Exchange, Source, begin, response_facts

    request = {
        "model": "gpt-4o-mini",
        "temperature": 0.2,
        "messages": [
            {
                "role": "system",
                "content": "You are the support assistant for Acme. " + FILLER[:800],
            },
            {"role": "user", "content": f"Question {i}: " + FILLER[:1200]},
        ],
    }
    response = {
        "id": f"chatcmpl-{i}", "object": "chat.completion", "created": 1_760_000_000,
        "model": "gpt-4o-mini-2024-07-18", "system_fingerprint": "fp_1",
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                     "message": {"role": "assistant", "content": FILLER[:1500], "refusal": None}}],
        "usage": {"prompt_tokens": 520 + i % 97, "completion_tokens": 310 + i % 89,
                  "total_tokens": 830 + i % 97 + i % 89,
                  "prompt_tokens_details": {"cached_tokens": 256 if i % 3 else 0},
                  "completion_tokens_details": {"reasoning_tokens": 0}},
    }  # fmt: skip
    source = Source(
        "openai",
        defaults={
            "feature": f"f{i % 8}",
            "tenant_id": f"t{i % 50}",
            "user_id": f"u{i % 1000}",
            "prompt_version": "v1",
        },
        secrets=("sk-bench-key-000000",),
    )
    began = begin(
        source,
        httpx2.Request(
            "POST",
            "https://api.openai.com/v1/chat/completions",
            content=json.dumps(request).encode(),
            headers={"x-stainless-retry-count": "0"},
        ),
    )
    assert began is not None
    facts, _ = response_facts(
        httpx2.Headers({"content-type": "application/json", "x-request-id": "req_1"})
    )
    return Exchange(*began, 200, facts, False, (json.dumps(response).encode(),), 812.0)


def throughput(store: Store, records: int, rounds: int) -> None:
    import psycopg

    from llmlog import settings
    from llmlog.capture import writer
    from llmlog.capture.build import build
    from llmlog.store.batch import BatchWriter, row_values
    from llmlog.store.records import COLUMNS

    url = store.url
    columns = ", ".join(COLUMNS)
    exchanges = [realistic_exchange(i) for i in range(records)]
    wire = sum(len(e.request_body) + len(e.chunks[0]) for e in exchanges) / records
    prebuilt = [build(e, settings.current()) for e in exchanges]
    rows = [row_values(r) for r in prebuilt]
    fresh_table(url)
    conn = psycopg.connect(url, autocommit=True)
    batch_writer = BatchWriter(conn)
    batch_writer.write(prebuilt)  # partitions exist before timing; and the floor's text:
    with conn.cursor() as cur, cur.copy(f"COPY (SELECT {columns} FROM llm_calls) TO STDOUT") as out:
        text = b"".join(bytes(data) for data in out).splitlines(keepends=True)
    assert len(text) == records

    def raw_copy() -> None:
        for i in range(0, records, BATCH):
            with conn.cursor() as cur, cur.copy(f"COPY llm_calls ({columns}) FROM STDIN") as copy:
                for row in rows[i : i + BATCH]:
                    copy.write_row(row)

    def floor() -> None:
        for i in range(0, records, BATCH):
            with conn.cursor() as cur, cur.copy(f"COPY llm_calls ({columns}) FROM STDIN") as copy:
                copy.write(b"".join(text[i : i + BATCH]))

    def batch() -> None:
        for i in range(0, records, BATCH):
            batch_writer.write(prebuilt[i : i + BATCH])

    def whole() -> None:
        target = writer.get()
        for exchange in exchanges:
            writer.submit(exchange)
        assert target.flush(600)

    ways: dict[str, Callable[[], None]] = {
        "raw COPY, write_row (baseline)": raw_copy,
        "raw COPY, text as is (floor)": floor,
        "BatchWriter (rows made, COPY)": batch,
        "llmlog writer (parse, cost, COPY)": whole,
    }
    rates: dict[str, list[float]] = {name: [] for name in ways}
    cpu: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    for _ in range(rounds):
        for name, run in ways.items():
            fresh_table(url)
            if run is whole:
                writer.shutdown()
                llmlog_configure(url, queue_size=records + 10, batch_size=BATCH)
                writer.get()
            conn.execute("CHECKPOINT")
            started, client, server = (
                time.perf_counter(),
                time.process_time(),
                server_cpu(store.postmaster),
            )
            run()
            rates[name].append(records / (time.perf_counter() - started))
            client = time.process_time() - client
            cpu[name].append(
                (client / records * 1e6, (server_cpu(store.postmaster) - server) / records * 1e6)
            )
    stored = conn.execute("SELECT count(*) FROM llm_calls").fetchone()
    conn.close()
    writer.shutdown()
    base = rates["raw COPY, write_row (baseline)"]
    print(f"\nwriter throughput into {store.label}: {records} calls of {wire / 1024:.1f} KB "
          f"on the wire, {BATCH} per COPY, {rounds} round(s)")  # fmt: skip
    print(f"  {'':<36}{'calls/s':>9}{'x raw COPY':>11}  CPU µs/call: python  server")
    for name, values in rates.items():
        ratio = statistics.median(v / b for v, b in zip(values, base, strict=True))
        python_us = statistics.median(c for c, _ in cpu[name])
        server_us = statistics.median(s for _, s in cpu[name])
        print(f"  {name:<36}{statistics.median(values):>9,.0f}{ratio:>11.2f}"
              f"{python_us:>21.0f}{server_us:>8.0f}")  # fmt: skip
    print(f"  rows in llm_calls after the last way: {stored[0] if stored else 0} of {records}")


def llmlog_configure(url: str, **options: Any) -> None:
    import llmlog

    llmlog.configure(database_url=url, spool_dir=Path(tempfile.mkdtemp()) / "spool", **options)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per variant")
    parser.add_argument("--records", type=int, default=30000, help="calls per throughput way")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds")
    parser.add_argument("--db", help="PostgreSQL URL (default: temporary local servers)")
    parser.add_argument("--no-pg15", action="store_true", help="skip Debian's PostgreSQL 15")
    parser.add_argument("--skip-overhead", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    with stores(args.db, pg15=not args.no_pg15) as found:
        if not args.skip_overhead:
            fresh_table(found[0].url)
            print(f"per-call overhead, writer storing into {found[0].label}")
            overhead(found[0].url, args.calls)
        for store in found if not args.skip_throughput else ():
            throughput(store, args.records, args.rounds)


if __name__ == "__main__":
    main()
