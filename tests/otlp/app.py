"""An application instrumented with the official OpenAI instrumentation, exporting with the
SDK's OTLP/HTTP exporters (run by tests/otlp in a process of its own, since the
instrumentation reads its conventions switch once per process).

    python -m tests.otlp.app RECEIVER_URL STUB_URL [--gzip] [--spans-first] [--json]

Makes the calls of ``SCENARIOS`` through the real openai SDK to the stub, each under a
span of its own, flushes (log events first unless ``--spans-first``) and prints one JSON
line per scenario: its trace id and what the SDK returned. ``--json`` exports the spans as
OTLP/JSON (the SDK's own protobuf encoder, then protobuf's JSON mapping with hex ids, as
OpenTelemetry's JSON exporters write it) instead of binary protobuf.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Sequence
from typing import Any

import httpx
import openai
from google.protobuf import json_format
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

SYSTEM = "You answer in one sentence."
SCENARIOS = {
    "question": ("What is the weather?", {"temperature": 0.2}),
    "tool": ("Use a tool", {}),
    "stream": ("Say hi", {"stream": True, "stream_options": {"include_usage": True}}),
    "error": ("error429", {}),
}
RESOURCE = {"service.name": "shop", "llmlog.feature": "support-bot", "llmlog.tenant_id": "acme"}


def otlp_json(request: Any) -> bytes:
    """OTLP/JSON as the specification writes it: protobuf's JSON mapping, ids in hex."""
    data = json_format.MessageToDict(request)
    for resource in data.get("resourceSpans", []):
        for scope in resource.get("scopeSpans", []):
            for span in scope.get("spans", []):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64decode(span[key]).hex()
    return json.dumps(data).encode()


class JsonSpanExporter(SpanExporter):
    """Spans as OTLP/JSON over HTTP."""

    def __init__(self, url: str) -> None:
        self.url = url

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        body = otlp_json(encode_spans(spans))
        answer = httpx.post(self.url, content=body, headers={"content-type": "application/json"})
        return SpanExportResult.SUCCESS if answer.status_code == 200 else SpanExportResult.FAILURE

    def shutdown(self) -> None:
        pass


def main(receiver: str, stub: str, *, gzip: bool, spans_first: bool, as_json: bool) -> None:
    compression = Compression.Gzip if gzip else Compression.NoCompression
    resource = Resource.create(RESOURCE)
    tracer_provider = TracerProvider(resource=resource)
    url = f"{receiver}/v1/traces"
    exporter = JsonSpanExporter(url) if as_json else OTLPSpanExporter(url, compression=compression)
    tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(OTLPLogExporter(f"{receiver}/v1/logs", compression=compression))
    )
    OpenAIInstrumentor().instrument(
        tracer_provider=tracer_provider, logger_provider=logger_provider
    )
    client = openai.OpenAI(api_key="sk-test", base_url=f"{stub}/v1", max_retries=0)
    tracer = tracer_provider.get_tracer("app")
    for name, (text, options) in SCENARIOS.items():
        with tracer.start_as_current_span(f"handle-{name}") as span:
            trace_id = format(span.get_span_context().trace_id, "032x")
            print(
                json.dumps({"scenario": name, "trace_id": trace_id, **call(client, text, options)})
            )
    providers = [logger_provider, tracer_provider]
    for provider in reversed(providers) if spans_first else providers:
        assert provider.force_flush(10_000)
    OpenAIInstrumentor().uninstrument()


def call(client: openai.OpenAI, text: str, options: dict[str, Any]) -> dict[str, Any]:
    messages: Any = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}]
    try:
        answer = client.chat.completions.create(model="gpt-4o-mini", messages=messages, **options)
    except openai.APIStatusError as exc:
        return {"status": exc.status_code}
    if options.get("stream"):
        chunks = list(answer)
        usage = chunks[-1].usage
        return {"input_tokens": usage.prompt_tokens, "output_tokens": usage.completion_tokens}
    return {
        "input_tokens": answer.usage.prompt_tokens,
        "output_tokens": answer.usage.completion_tokens,
        "output": answer.choices[0].message.content,
    }


if __name__ == "__main__":
    flags = set(sys.argv[3:])
    main(
        sys.argv[1], sys.argv[2], gzip="--gzip" in flags,
        spans_first="--spans-first" in flags, as_json="--json" in flags,
    )  # fmt: skip
