"""What capture costs the application, and how many calls per second the writer stores.

Usage: python bench/capture_overhead.py [--calls 2000] [--records 30000] [--db URL]

1. Added time per call against the local stub (tests/stub_provider.py), one run:
   bare client vs ``llmlog.wrap``'d client vs the seeds' naive pattern (a synchronous
   INSERT + commit per call), streamed and not. Variants are interleaved in small blocks
   so drift on a shared machine hits all of them alike. Prints median and p99 per call
   and the median added time over bare (ms and %).
2. Writer throughput: realistic calls (~4 KB of prompt and response on the wire) into
   the partitioned, indexed table: raw COPY of ready rows (the baseline), the
   BatchWriter (row making + COPY), and the whole writer (parse, cost, privacy, COPY).

Without ``--db`` an embedded PostgreSQL is created in a temporary ``LLMLOG_HOME``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MSG = [{"role": "user", "content": "hi"}]
STUB = (
    "import time\nfrom tests.stub_provider import StubServer\n"
    "s = StubServer().start()\nprint(s.url, flush=True)\ntime.sleep(3600)\n"
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def store_url(cli: str | None) -> str:
    if cli:
        return cli
    os.environ.setdefault("LLMLOG_HOME", tempfile.mkdtemp(prefix="llmlog-bench-"))
    from llmlog.store import admin, embedded

    admin.init()
    info = embedded.running()
    assert info is not None
    return info.url()


def fresh_table(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE llm_calls")


# --- 1. per-call overhead ------------------------------------------------------------


def naive_insert(conn: Any, model: str, body: str, text: str | None, started: float) -> None:
    """The seeds' pattern: build a row from the response, INSERT it, commit, per call."""
    from llmlog.ids import new_id, ts_of

    call_id = new_id()
    conn.execute(
        "INSERT INTO llm_calls (id, ts, trace_id, provider, endpoint, model, request, response, "
        "output_text, latency_ms, status) "
        "VALUES (%s, %s, %s, 'openai', 'chat.completions', %s, %s, %s, %s, %s, 'ok')",
        (
            call_id, ts_of(call_id), str(call_id), model,
            json.dumps({"model": "gpt-4o-mini", "messages": MSG}), body, text,
            (time.perf_counter() - started) * 1000,
        ),
    )  # fmt: skip
    conn.commit()


def overhead(url: str, calls: int, block: int = 50) -> None:
    import openai
    import psycopg

    import llmlog

    stub = subprocess.Popen(
        [sys.executable, "-c", STUB], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )  # its own process, as a real provider would be: no share of our GIL
    assert stub.stdout is not None
    stub_url = stub.stdout.readline().strip()
    llmlog.configure(database_url=url, spool_dir=Path(tempfile.mkdtemp()) / "spool")
    bare = openai.OpenAI(api_key="sk-bench", base_url=f"{stub_url}/v1", max_retries=0)
    wrapped = llmlog.wrap(bare)
    naive_conn = psycopg.connect(url)

    def plain(client: Any, stream: bool) -> Callable[[], None]:
        def run() -> None:
            if stream:
                for _ in client.chat.completions.create(
                    model="gpt-4o-mini", messages=MSG, stream=True
                ):
                    pass
            else:
                client.chat.completions.create(model="gpt-4o-mini", messages=MSG)

        return run

    def naive(stream: bool) -> Callable[[], None]:
        def run() -> None:
            started = time.perf_counter()
            if not stream:
                response = bare.chat.completions.create(model="gpt-4o-mini", messages=MSG)
                text = response.choices[0].message.content
                naive_insert(naive_conn, response.model, response.model_dump_json(), text, started)
                return
            chunks = list(
                bare.chat.completions.create(model="gpt-4o-mini", messages=MSG, stream=True)
            )
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
            body = json.dumps([c.model_dump() for c in chunks])
            naive_insert(naive_conn, chunks[0].model, body, text, started)

        return run

    for stream in (False, True):
        variants = {
            "bare": plain(bare, stream),
            "wrapped": plain(wrapped, stream),
            "naive INSERT": naive(stream),
        }
        times: dict[str, list[float]] = {name: [] for name in variants}
        for run in variants.values():  # warm-up: connections, imports, caches
            for _ in range(block):
                run()
        for _ in range(max(1, calls // block)):
            for name, run in variants.items():
                for _ in range(block):
                    started = time.perf_counter()
                    run()
                    times[name].append((time.perf_counter() - started) * 1000)
        llmlog.flush(30)
        base = statistics.median(times["bare"])
        print(f"\n{'streamed' if stream else 'non-streamed'} chat completion, "
              f"{len(times['bare'])} calls per variant")  # fmt: skip
        print(f"  {'variant':<14}{'median ms':>10}{'p99 ms':>10}{'added ms':>10}{'added %':>9}")
        for name, values in times.items():
            median = statistics.median(values)
            print(
                f"  {name:<14}{median:>10.3f}{percentile(values, 0.99):>10.3f}"
                f"{median - base:>+10.3f}{(median - base) / base * 100:>+8.1f}%"
            )
    print(f"  writer stats: {llmlog.stats()}")
    naive_conn.close()
    stub.terminate()


# --- 2. writer throughput --------------------------------------------------------------


def realistic_exchange(i: int) -> Any:
    import httpx2

    from llmlog.capture.context import CallContext
    from llmlog.capture.exchange import Exchange
    from llmlog.ids import new_id

    call_id = new_id()
    filler = "Our refund policy covers unopened items within 30 days of delivery. " * 30
    request = {
        "model": "gpt-4o-mini",
        "temperature": 0.2,
        "messages": [
            {
                "role": "system",
                "content": "You are the support assistant for Acme. " + filler[:800],
            },
            {"role": "user", "content": f"Question {i}: " + filler[:1200]},
        ],
    }
    response = {
        "id": f"chatcmpl-{i}", "object": "chat.completion", "created": 1_760_000_000,
        "model": "gpt-4o-mini-2024-07-18", "system_fingerprint": "fp_1",
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                     "message": {"role": "assistant", "content": filler[:1500], "refusal": None}}],
        "usage": {"prompt_tokens": 520 + i % 97, "completion_tokens": 310 + i % 89,
                  "total_tokens": 830 + i % 97 + i % 89,
                  "prompt_tokens_details": {"cached_tokens": 256 if i % 3 else 0},
                  "completion_tokens_details": {"reasoning_tokens": 0}},
    }  # fmt: skip
    exchange = Exchange(
        call_id=call_id,
        provider="openai",
        endpoint="chat.completions",
        context=CallContext(
            str(call_id),
            None,
            {
                "feature": f"f{i % 8}",
                "tenant_id": f"t{i % 50}",
                "user_id": f"u{i % 1000}",
                "session_id": None,
                "prompt_version": "v1",
            },
            {},
        ),
        request_body=json.dumps(request).encode(),
        secrets=("sk-bench-key-000000",),
        request_headers=[(b"x-stainless-retry-count", b"0")],
    )
    exchange.on_response(
        200, httpx2.Headers({"content-type": "application/json", "x-request-id": "req_1"})
    )
    exchange.on_chunk(json.dumps(response).encode())
    exchange.latency_ms = 812.0
    return exchange


def throughput(url: str, records: int) -> None:
    import psycopg

    from llmlog import settings
    from llmlog.capture import writer
    from llmlog.capture.build import build
    from llmlog.store.batch import BatchWriter, to_row
    from llmlog.store.records import COLUMNS

    copy_sql = f"COPY llm_calls ({', '.join(COLUMNS)}) FROM STDIN"

    exchanges = [realistic_exchange(i) for i in range(records)]
    wire = sum(len(e.request_body) + len(e.chunks[0]) for e in exchanges) / records
    print(f"\nwriter throughput, {records} calls of {wire / 1024:.1f} KB on the wire")

    fresh_table(url)
    prebuilt = [build(e, settings.current()) for e in exchanges]
    rows = [to_row(r) for r in prebuilt]
    with psycopg.connect(url, autocommit=True) as conn:
        batch_writer = BatchWriter(conn)
        batch_writer.write(prebuilt[:10])  # partitions exist before timing
        fresh_table(url)
        started = time.perf_counter()
        for i in range(0, records, 1000):
            with conn.cursor() as cur, cur.copy(copy_sql) as copy:
                for row in rows[i : i + 1000]:
                    copy.write_row(row)
        raw_rate = records / (time.perf_counter() - started)
        fresh_table(url)
        started = time.perf_counter()
        for i in range(0, records, 1000):
            batch_writer.write(prebuilt[i : i + 1000])
        copy_rate = records / (time.perf_counter() - started)
    print(f"  raw COPY of ready rows (baseline):     {raw_rate:>9,.0f} calls/s")
    print(f"  BatchWriter (rows made, COPY):         {copy_rate:>9,.0f} calls/s "
          f"({copy_rate / raw_rate * 100:.0f}% of raw COPY)")  # fmt: skip

    fresh_table(url)
    writer.shutdown()
    llmlog_configure(url, queue_size=records + 10, batch_size=1000)
    target = writer.get()
    started = time.perf_counter()
    for exchange in exchanges:
        target.submit(exchange)
    assert target.flush(600)
    rate = records / (time.perf_counter() - started)
    stats = target.stats()
    print(f"  llmlog writer (parse, cost, COPY):     {rate:>9,.0f} calls/s "
          f"({rate / raw_rate * 100:.0f}% of raw COPY)")  # fmt: skip
    print(f"  stats: {stats}")
    with psycopg.connect(url) as conn:
        stored = conn.execute("SELECT count(*) FROM llm_calls").fetchone()
    print(f"  rows in llm_calls: {stored[0] if stored else 0}")


def llmlog_configure(url: str, **options: Any) -> None:
    import llmlog

    llmlog.configure(database_url=url, spool_dir=Path(tempfile.mkdtemp()) / "spool", **options)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per variant")
    parser.add_argument("--records", type=int, default=30000, help="calls for the writer run")
    parser.add_argument("--db", help="PostgreSQL URL (default: a temporary embedded store)")
    args = parser.parse_args()
    url = store_url(args.db)
    fresh_table(url)
    overhead(url, args.calls)
    throughput(url, args.records)


if __name__ == "__main__":
    main()
