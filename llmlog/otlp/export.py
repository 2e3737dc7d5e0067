"""``llmlog export --otlp URL``: stored calls as GenAI spans, to any OTLP/HTTP endpoint.

Each call is one span in the newer GenAI conventions (``gen_ai.input.messages``,
``gen_ai.output.messages``, ``gen_ai.system_instructions``, ``gen_ai.tool.definitions``,
usage, finish reasons, ``error.type`` in llmlog's vocabulary), so Phoenix, Langfuse or a
collector show it as they show any instrumented call. Its trace is the call's trace (a
``trace_id`` that is not 32 hex digits or a UUID is hashed to one), its span id the last 8
bytes of the call's id, its parent the parent call's span. ``llmlog.*`` attributes carry
what no convention has — the call's id, trace, parent, context columns and the provider's
own bodies — so ``llmlog otlp`` stores exactly the row that was exported.

Spans go in batches (``BATCH``) of binary protobuf, gzip-compressed, each POST retried on
the statuses OTLP calls retryable.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from llmlog.__about__ import __version__
from llmlog.errors import LlmlogError, UsageError
from llmlog.otlp import semconv, wire
from llmlog.reports.filters import Filters
from llmlog.reports.run import run
from llmlog.store.records import Record, dumps

if TYPE_CHECKING:
    import psycopg

BATCH = 512  # spans per request (the OpenTelemetry SDK's default export batch)
RETRYABLE = frozenset({429, 502, 503, 504})
ATTEMPTS = 5
TIMEOUT = 30.0
SPAN_KIND_CLIENT = trace_pb2.Span.SpanKind.SPAN_KIND_CLIENT
STATUS_ERROR = trace_pb2.Status.StatusCode.STATUS_CODE_ERROR
# Request parameters shown as gen_ai.request.* (a body key, in any provider's body).
PARAMETERS = {
    "temperature": "gen_ai.request.temperature", "top_p": "gen_ai.request.top_p",
    "top_k": "gen_ai.request.top_k", "max_tokens": "gen_ai.request.max_tokens",
    "max_completion_tokens": "gen_ai.request.max_tokens",
    "max_output_tokens": "gen_ai.request.max_tokens", "seed": "gen_ai.request.seed",
    "frequency_penalty": "gen_ai.request.frequency_penalty",
    "presence_penalty": "gen_ai.request.presence_penalty", "stream": "gen_ai.request.stream",
}  # fmt: skip
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP header name (RFC 9110)
_VALUE = re.compile(r"[\x20-\x7e\x80-\xff]*")  # what a header value may hold
CONTEXT = ("feature", "tenant_id", "user_id", "prompt_version", "endpoint", "feedback",
           "feedback_note", "ttft_ms")  # fmt: skip


class ExportError(LlmlogError):
    """The OTLP endpoint did not take the spans."""


def traces_url(url: str) -> str:
    """The traces endpoint of ``url``: as given when it ends in /v1/traces, else under it."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 (reading it checks it)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or not url.isprintable()
        or not url.isascii()
        or " " in url
    ):
        raise UsageError(
            f"--otlp {url!r:.80} is not an http(s) URL",
            hint="give the endpoint's base URL, e.g. http://127.0.0.1:4318",
        )
    return url if url.rstrip("/").endswith("/v1/traces") else url.rstrip("/") + "/v1/traces"


def header(item: str) -> tuple[str, str]:
    """``NAME=VALUE`` (``--header``) as a header HTTP can carry; UsageError otherwise."""
    name, sep, value = item.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not _TOKEN.fullmatch(name) or not _VALUE.fullmatch(value):
        raise UsageError(
            f"--header {item!r:.80} is not NAME=VALUE with a header name and printable value",
            hint="e.g. --header 'Authorization=Bearer T'",
        )
    return name, value


@dataclass
class Sent:
    """What an export sent: calls, requests, and the spans the endpoint rejected (why)."""

    calls: int = 0
    requests: int = 0
    rejected: int = 0
    reasons: list[str] = field(default_factory=list)


def export(
    conn: psycopg.Connection,
    filters: Filters,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    batch: int = BATCH,
) -> Sent:
    """Send the calls ``filters`` match, oldest first."""
    target = traces_url(url)
    sent = Sent()
    for page in pages(conn, filters, batch):
        rejected, reason = send(target, request_of(page).SerializeToString(), headers or {})
        sent.calls += len(page)
        sent.requests += 1
        if rejected:
            sent.rejected += rejected
            sent.reasons.append(reason)
    return sent


def pages(conn: psycopg.Connection, filters: Filters, size: int) -> Iterator[list[Record]]:
    """The matching calls, ``size`` at a time (each page read after the last one's end)."""
    after: dict[str, Any] = {}
    while True:
        page = run(conn, "export_calls", {**filters.params(), "limit": size, **after})
        if not page:
            return
        yield page
        after = {"after_ts": page[-1]["ts"], "after_id": page[-1]["id"]}
        if len(page) < size:
            return


def request_of(calls: list[Record]) -> trace_service_pb2.ExportTraceServiceRequest:
    request = trace_service_pb2.ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    wire.any_value("llmlog", resource_spans.resource.attributes.add(key="service.name").value)
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name, scope_spans.scope.version = "llmlog", __version__
    scope_spans.spans.extend(span_of(call) for call in calls)
    return request


def trace_bytes(trace_id: str) -> bytes:
    """A stored ``trace_id`` as OpenTelemetry's 16 bytes: a UUID's or 32 hex digits' own
    bytes, else the first 16 bytes of its SHA-256."""
    try:
        return uuid.UUID(trace_id).bytes
    except ValueError:
        return hashlib.sha256(trace_id.encode("utf-8", "surrogatepass")).digest()[:16]


def span_id(call_id: uuid.UUID) -> bytes:
    return call_id.bytes[8:]  # (a UUIDv7's random end)


def span_of(call: Record) -> trace_pb2.Span:
    """One stored call as a GenAI span."""
    trace = trace_bytes(call["trace_id"])
    start = int(call["ts"].timestamp() * 1000) * 1_000_000
    duration = round((call["latency_ms"] or 0) * 1_000_000)
    span = trace_pb2.Span(
        trace_id=trace, span_id=span_id(call["id"]), name=f"chat {call['model'] or ''}".strip(),
        kind=SPAN_KIND_CLIENT, start_time_unix_nano=start, end_time_unix_nano=start + duration,
    )  # fmt: skip
    if call["parent_id"] is not None:
        span.parent_span_id = span_id(call["parent_id"])
    if call["status"] == "error":
        span.status.code = STATUS_ERROR
        span.status.message = call["error_message"] or ""
    for key, value in attributes(call, trace).items():
        if value is not None:
            wire.any_value(value, span.attributes.add(key=key).value)
    return span


def attributes(call: Record, trace: bytes) -> dict[str, Any]:
    """A call's span attributes: the GenAI conventions', then llmlog's own."""
    request, response = call["request"], call["response"]
    system, inputs, tools = semconv.content_of(call["endpoint"], request)
    out: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": call["provider"],
        "gen_ai.request.model": call["model"],
        "gen_ai.response.model": call["response_model"],
        "gen_ai.response.id": response.get("id") if isinstance(response, dict) else None,
        "gen_ai.conversation.id": call["session_id"],
        "gen_ai.usage.input_tokens": call["input_tokens"],
        "gen_ai.usage.output_tokens": call["output_tokens"],
        "gen_ai.usage.cache_read.input_tokens": call["cache_read_tokens"],
        "gen_ai.usage.cache_creation.input_tokens": call["cache_write_tokens"],
        "gen_ai.usage.reasoning.output_tokens": call["reasoning_tokens"],
        "gen_ai.response.finish_reasons": [call["finish_reason"]]
        if call["finish_reason"]
        else None,
        "error.type": call["error_type"],
        "http.response.status_code": call["http_status"],
        "gen_ai.system_instructions": _json(system),
        "gen_ai.input.messages": _json(inputs),
        "gen_ai.output.messages": _json(semconv.output_of(call)),
        "gen_ai.tool.definitions": _json(tools),
    }
    if isinstance(request, dict):
        for key, name in PARAMETERS.items():
            if isinstance(request.get(key), int | float) and name not in out:
                out[name] = request[key]
    out |= {f"llmlog.{name}": call[name] for name in CONTEXT}
    out |= {
        "llmlog.call_id": str(call["id"]),
        "llmlog.trace_id": call["trace_id"] if trace.hex() != call["trace_id"] else None,
        "llmlog.parent_id": None if call["parent_id"] is None else str(call["parent_id"]),
        "llmlog.replay_of": None if call["replay_of"] is None else str(call["replay_of"]),
        "llmlog.request": dumps(request),
        "llmlog.response": dumps(response),
        "llmlog.metadata": dumps(call["metadata"]),
    }
    return out


def _json(value: Any) -> str | None:
    return dumps(value) if value else None


def send(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
    """POST one export (gzip), retrying what OTLP calls retryable; ExportError otherwise.
    Returns how many spans the endpoint rejected (its partial success) and why."""
    data = gzip.compress(body, compresslevel=5)
    sent = {"content-type": wire.PROTOBUF, "content-encoding": "gzip", **headers}
    for attempt in range(ATTEMPTS):
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url, data=data, headers=sent, method="POST"),
                timeout=TIMEOUT,
            ) as answer:
                return _partial(answer.read())
        except urllib.error.HTTPError as exc:
            if exc.code not in RETRYABLE or attempt == ATTEMPTS - 1:
                raise ExportError(
                    f"{url} answered {exc.code}: {_reason(exc.read())}",
                    hint="check --otlp and --header (an endpoint may need an API key)",
                ) from None
            time.sleep(_delay(exc.headers.get("retry-after"), attempt))
        except (urllib.error.URLError, OSError) as exc:
            if attempt == ATTEMPTS - 1:
                reason = getattr(exc, "reason", exc)
                raise ExportError(
                    f"cannot reach {url}: {reason}", hint="check --otlp and that it is running"
                ) from None
            time.sleep(_delay(None, attempt))
    raise AssertionError("unreachable: the last attempt returns or raises")


def _delay(retry_after: str | None, attempt: int) -> float:
    if retry_after and retry_after.isdigit():
        return min(float(retry_after), 30.0)
    return 0.5 * 2**attempt


def _reason(body: bytes) -> str:
    """The message of a ``google.rpc.Status`` body, else the body's start."""
    from google.protobuf.message import DecodeError
    from google.rpc import status_pb2

    try:
        message = status_pb2.Status.FromString(body).message
    except DecodeError:
        message = ""
    return message or body[:200].decode("utf-8", "replace") or "(no body)"


def _partial(body: bytes) -> tuple[int, str]:
    from google.protobuf.message import DecodeError

    try:
        answer = trace_service_pb2.ExportTraceServiceResponse.FromString(body)
    except DecodeError:
        return 0, ""  # (an endpoint that answers 2xx with another body took the spans)
    return answer.partial_success.rejected_spans, answer.partial_success.error_message
