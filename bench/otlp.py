"""How fast ``llmlog otlp`` stores GenAI spans and ``llmlog export --otlp`` sends calls:
``python bench/otlp.py [--spans 5000] [--rounds 5] [--db URL]``.

Spans are realistic chat calls in the newer conventions (~2 KB of input messages, ~1 KB
of output, usage, a tool definition), 500 to an export request, as an SDK's batch
processor sends them. Every round starts from an empty ``llm_calls``. Printed: medians
of the rounds, in spans (calls) per second, beside baselines measured in the same run:

receiver (protobuf / gzip)  POST every request to ``llmlog otlp`` (in-process uvicorn on
                            127.0.0.1, one keep-alive client), rows stored when it answers
  bare decode               ``ExportTraceServiceRequest.ParseFromString`` of the same bodies
  COPY of the same rows     ``BatchWriter.write`` of the records the receiver made, 500 a
                            batch: what storing them costs without OTLP
export                      ``llmlog export``'s ``export()`` of the stored calls to a sink
                            that answers 200 at once (read, encode, gzip, POST)
  read the same rows        its paged query alone (``export.pages``)
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stores import stores
from llmlog import settings
from llmlog.otlp import export, wire
from llmlog.otlp.receiver import Receiver
from llmlog.otlp.server import App, server
from llmlog.otlp.spans import Span, records
from llmlog.reports.filters import Filters
from llmlog.store import connect
from llmlog.store.batch import BatchWriter

PER_REQUEST = 500
RECEIVED, COPIED = "receiver, protobuf", "  COPY of the same rows (BatchWriter)"
SENT, READ = "export to a sink", "  read the same rows (its query alone)"
WORDS = [
    "order",
    "kettle",
    "blue",
    "week",
    "arrived",
    "refund",
    "parcel",
    "courier",
    "tracking",
    "address",
    "invoice",
    "delay",
    "warehouse",
    "yesterday",
    "sorry",
    "wait",
    "replacement",
    "damaged",
    "box",
    "label",
    "store",
    "credit",
    "payment",
    "card",
    "account",
    "email",
    "password",
    "login",
    "discount",
    "code",
    "voucher",
    "size",
    "colour",
    "return",
    "policy",
    "days",
]


def text(seed: int, words: int) -> str:
    """Words drawn at random: prose that compresses about as well as real prompts."""
    draw = random.Random(seed)
    return " ".join(draw.choice(WORDS) + draw.choice(("", "", ",", ".")) for _ in range(words))


def spans(count: int) -> list[bytes]:
    """Export requests (protobuf) holding ``count`` GenAI spans."""
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
    from opentelemetry.proto.trace.v1 import trace_pb2

    now = time.time_ns() - 3_600_000_000_000
    bodies = []
    for first in range(0, count, PER_REQUEST):
        request = trace_service_pb2.ExportTraceServiceRequest()
        scope = request.resource_spans.add().scope_spans.add()
        for n in range(first, min(first + PER_REQUEST, count)):
            start = now + n * 1_000_000
            span = trace_pb2.Span(
                trace_id=n.to_bytes(16, "big"), span_id=(n + 1).to_bytes(8, "big"),
                name="chat gpt-4o-mini", start_time_unix_nano=start,
                end_time_unix_nano=start + 900_000_000,
            )  # fmt: skip
            attributes = {
                "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini",
                "gen_ai.usage.input_tokens": 600 + n % 50, "gen_ai.usage.output_tokens": 120,
                "gen_ai.response.finish_reasons": ["stop"],
                "gen_ai.system_instructions": json.dumps(
                    [{"type": "text", "content": "You are the support assistant of a shop."}]
                ),
                "gen_ai.input.messages": json.dumps(
                    [{"role": "user", "parts": [{"type": "text", "content": text(n, 220)}]}]
                ),
                "gen_ai.output.messages": json.dumps([{
                    "role": "assistant", "finish_reason": "stop",
                    "parts": [{"type": "text", "content": text(-n, 90)}],
                }]),
                "gen_ai.tool.definitions": json.dumps([{
                    "type": "function", "name": "order_status",
                    "parameters": {"type": "object", "properties": {"id": {"type": "string"}}},
                }]),
            }  # fmt: skip
            for key, value in attributes.items():
                wire.any_value(value, span.attributes.add(key=key).value)
            scope.spans.append(span)
        bodies.append(request.SerializeToString())
    return bodies


def median_rate(
    count: int, rounds: int, run: Callable[[], None], reset: Callable[[], None]
) -> float:
    rates = []
    reset()
    run()  # (warm: prices looked up, connections made, code paths compiled)
    for _ in range(rounds):
        reset()
        started = time.perf_counter()
        run()
        rates.append(count / (time.perf_counter() - started))
    return statistics.median(rates)


class Sink(BaseHTTPRequestHandler):
    """An OTLP endpoint that takes everything at once."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    import httpx
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db")
    args = parser.parse_args()
    count, rounds = args.spans, args.rounds
    bodies = spans(count)
    zipped = [gzip.compress(body, compresslevel=5) for body in bodies]
    size = sum(map(len, bodies)) / count
    print(f"{count} spans, {size:,.0f} bytes each ({sum(map(len, zipped)) / count:,.0f} gzipped),"
          f" {PER_REQUEST} a request; median of {rounds} rounds")  # fmt: skip
    with stores(args.db, pg15=False) as found:
        url = found[0].url
        print(found[0].label)
        settings.reset()
        owner = connect.connect(url)

        def empty() -> None:
            owner.execute("TRUNCATE llm_calls")

        receiver = Receiver(lambda: connect.connect(url), settings.current())
        uv = server(App(receiver), "127.0.0.1", 0)
        threading.Thread(target=uv.run, daemon=True).start()
        while not uv.started:
            time.sleep(0.01)
        base = f"http://127.0.0.1:{uv.servers[0].sockets[0].getsockname()[1]}"
        client = httpx.Client(base_url=base)

        def post(payloads: list[bytes], **headers: str) -> Callable[[], None]:
            def run() -> None:
                for body in payloads:
                    answer = client.post("/v1/traces", content=body, headers={
                        "content-type": wire.PROTOBUF, **headers})  # fmt: skip
                    assert answer.status_code == 200, answer.content

            return run

        def decode() -> None:
            for body in bodies:
                trace_service_pb2.ExportTraceServiceRequest.FromString(body)

        made = []
        for body in bodies:
            request = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
            proto = request.resource_spans[0].scope_spans[0].spans
            batch = [Span(s, wire.values(s.attributes), {}) for s in proto]
            made.append([record for _, record in records(batch, settings.current())[0]])
        writer = BatchWriter(connect.connect(url))

        def copy() -> None:
            for batch in made:
                writer.write(batch)

        results = {
            RECEIVED: median_rate(count, rounds, post(bodies), empty),
            "receiver, protobuf + gzip": median_rate(
                count, rounds, post(zipped, **{"content-encoding": "gzip"}), empty
            ),
            "  bare decode of the same bodies": median_rate(count, rounds, decode, lambda: None),
            COPIED: median_rate(count, rounds, copy, empty),
        }
        copy()  # (the calls to export)
        sink = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
        threading.Thread(target=sink.serve_forever, daemon=True).start()
        sink_url = f"http://127.0.0.1:{sink.server_address[1]}"
        everything = Filters(since=datetime(2000, 1, 1, tzinfo=UTC))
        source = connect.connect(url)

        def send() -> None:
            assert export.export(source, everything, sink_url).calls == count

        def read() -> None:
            assert sum(map(len, export.pages(source, everything, export.BATCH))) == count

        results[SENT] = median_rate(count, rounds, send, lambda: None)
        results[READ] = median_rate(count, rounds, read, lambda: None)
        uv.should_exit = True
        sink.shutdown()
    width = max(map(len, results))
    for label, rate in results.items():
        print(f"{label:<{width}}  {rate:>9,.0f} spans/s")
    received, sent = results[RECEIVED], results[SENT]
    print(
        f"receiver / COPY of the same rows: {received / results[COPIED]:.2f}x; "
        f"export / its query alone: {sent / results[READ]:.2f}x"
    )


if __name__ == "__main__":
    main()
