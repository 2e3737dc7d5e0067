"""GenAI spans to call records, with the row semantics of a call ``wrap()`` captured.

A span becomes the request and response bodies its provider's API would have been sent
and answered (``semconv``), which capture's own parsers, cost function, error vocabulary
and privacy settings then turn into a record as for a captured call (``capture.build``).

- **Which spans**: those whose ``gen_ai.operation.name`` is a model call (``chat``,
  ``text_completion``, ``generate_content``), or that name a provider
  (``gen_ai.provider.name``, the older ``gen_ai.system``) and a model without an operation.
  Embeddings, tool executions, agents and every other span are ignored.
- **Ids**: a call's id is a UUIDv7 whose time is the span's start and whose other bits are
  a hash of its trace and span ids, so a re-sent export is stored once; ``trace_id`` is
  the trace id in hex; ``parent_id`` is the call of the nearest GenAI ancestor among the
  spans of the same export (other spans are looked through), else none.
- **llmlog's own columns** (no convention has them) come from ``llmlog.*`` attributes of the
  span, else of its resource (``OTEL_RESOURCE_ATTRIBUTES=llmlog.feature=chat,...``):
  ``llmlog.feature``, ``llmlog.tenant_id``, ``llmlog.user_id`` (else ``user.id``),
  ``llmlog.prompt_version``. Spans ``llmlog export --otlp`` sent carry the rest
  (``llmlog.call_id``, ``trace_id``, ``parent_id``, ``endpoint``, ``request``,
  ``response``, ``metadata``, ``ttft_ms``, ``feedback``, ``feedback_note``,
  ``replay_of``), so they come back as they were stored.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from llmlog.capture import error_types
from llmlog.capture.build import apply_privacy, cost_of, requested_stream
from llmlog.capture.parsers import module_for
from llmlog.ids import stable_id, ts_of
from llmlog.otlp import semconv
from llmlog.otlp.semconv import json_value
from llmlog.settings import Settings
from llmlog.store.records import Record, uuid_value, validate

log = logging.getLogger("llmlog")

CALL_OPERATIONS = frozenset({"chat", "text_completion", "generate_content"})
ENDPOINTS = frozenset({"chat.completions", "responses", "messages"})
STATUS_ERROR = 2  # opentelemetry.proto.trace.v1.Status.STATUS_CODE_ERROR
# llmlog's context columns, read from ``llmlog.<column>`` (no convention has them).
CONTEXT = ("feature", "tenant_id", "user_id", "prompt_version")
Events = dict[tuple[bytes, bytes], list[tuple[str, Any]]]


def is_call(attributes: dict[str, Any]) -> bool:
    """Whether a span's attributes describe a model call."""
    operation = attributes.get("gen_ai.operation.name")
    if operation is not None:
        return operation in CALL_OPERATIONS
    return bool(
        (attributes.get("gen_ai.provider.name") or attributes.get("gen_ai.system"))
        and attributes.get("gen_ai.request.model")
    )


@dataclass
class Span:
    """One span of an export: its protobuf message and attributes, its resource's too."""

    proto: Any
    attributes: dict[str, Any]
    resource: dict[str, Any]
    events: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> tuple[bytes, bytes]:
        return bytes(self.proto.trace_id), bytes(self.proto.span_id)

    def own(self, name: str) -> Any:
        """``llmlog.<name>`` of the span, else of its resource."""
        value = self.attributes.get(f"llmlog.{name}")
        return self.resource.get(f"llmlog.{name}") if value is None else value

    def call_id(self) -> uuid.UUID:
        given = self.attributes.get("llmlog.call_id")
        if given is not None:
            return uuid_value("llmlog.call_id", given)
        trace, span = self.key
        digest = hashlib.sha256(trace + span).digest()
        return stable_id(self.proto.start_time_unix_nano // 1_000_000, digest)


def records(
    spans: Iterable[Span], settings: Settings, events: Events | None = None
) -> tuple[list[tuple[Span, Record]], list[str]]:
    """Each GenAI span of an export with its record (checked as the store checks it), and
    why each span that cannot be one was rejected."""
    spans = list(spans)
    by_id = {span.key: span for span in spans}
    out, rejected = [], []
    for span in spans:
        if not is_call(span.attributes):
            continue
        if events:
            span.events += events.get(span.key, [])
        try:
            out.append(
                (span, validate(record_of(span, settings, lambda key: _call_of(by_id, key))))
            )
        except ValueError as exc:  # (what the store would refuse)
            rejected.append(f"span {span.proto.span_id.hex()}: {exc}")
        except Exception as exc:  # (attributes of a shape no convention gives them)
            log.debug("llmlog: cannot read span %s", span.proto.span_id.hex(), exc_info=True)
            rejected.append(f"span {span.proto.span_id.hex()}: cannot read it ({exc!r:.200})")
    return out, rejected


def _call_of(by_id: dict[tuple[bytes, bytes], Span], key: tuple[bytes, bytes]) -> uuid.UUID | None:
    """The call of the nearest GenAI span from ``key`` up (through other spans), if any."""
    seen = set()
    while key in by_id and key not in seen:
        seen.add(key)
        span = by_id[key]
        if is_call(span.attributes):
            return span.call_id()
        key = (key[0], bytes(span.proto.parent_span_id))
    return None


def record_of(
    span: Span, settings: Settings, call_of: Callable[[tuple[bytes, bytes]], uuid.UUID | None]
) -> Record:
    """The record of one GenAI span (``call_of`` finds the call a span id leads to)."""
    attributes, proto = span.attributes, span.proto
    provider = attributes.get("gen_ai.provider.name") or attributes.get("gen_ai.system")
    endpoint = span.own("endpoint")
    if endpoint not in ENDPOINTS:
        endpoint = "messages" if provider == "anthropic" else "chat.completions"
    request, response = _bodies(span, endpoint)
    failed = proto.status.code == STATUS_ERROR or attributes.get("error.type") is not None
    parsed = module_for(endpoint).normalise(request, None if failed else response)
    call_id = span.call_id()
    parent = span.own("parent_id")
    record: Record = {
        "id": call_id,
        "ts": ts_of(call_id) if call_id.version == 7 else _start(proto),
        "trace_id": span.own("trace_id") or proto.trace_id.hex(),
        "parent_id": parent if parent else call_of((bytes(proto.trace_id), proto.parent_span_id)),
        "session_id": attributes.get("gen_ai.conversation.id"),
        **{name: span.own(name) for name in CONTEXT},
        "provider": provider,
        "endpoint": endpoint,
        "model": request.get("model") or attributes.get("gen_ai.request.model"),
        "request": request,
        "response": None if failed and not span.own("response") else response,
        **parsed.columns(),
        "ttft_ms": span.own("ttft_ms") or _ttft_ms(attributes),
        "latency_ms": max(proto.end_time_unix_nano - proto.start_time_unix_nano, 0) / 1e6,
        "status": "ok",
        "http_status": span.own("http_status") or attributes.get("http.response.status_code"),
        "feedback": span.own("feedback"),
        "feedback_note": span.own("feedback_note"),
        "replay_of": span.own("replay_of"),
        "streamed": requested_stream(request),
        "metadata": _metadata(span),
    }
    if record["user_id"] is None:
        record["user_id"] = attributes.get("user.id")
    _usage(record, semconv.Usage.of(attributes))
    if failed:
        failure = error_types.from_otel(
            attributes.get("error.type"), record["http_status"], proto.status.message or None
        )
        error_types.mark(record, failure)
    elif record["response"] is not None:
        record["cost_usd"] = cost_of(record, record["response"], parsed)
    return apply_privacy(record, settings)


def _start(proto: Any) -> datetime:
    return datetime.fromtimestamp(proto.start_time_unix_nano / 1e9, UTC)


def _bodies(span: Span, endpoint: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The request and response: as exported by llmlog, else made from the conventions."""
    request = json_value(span.own("request"))
    response = json_value(span.own("response"))
    if isinstance(request, dict):
        return request, response if isinstance(response, dict) else None
    attributes = span.attributes
    system = json_value(attributes.get("gen_ai.system_instructions")) or []
    inputs = json_value(attributes.get("gen_ai.input.messages"))
    outputs = json_value(attributes.get("gen_ai.output.messages"))
    if inputs is None and outputs is None and span.events:
        inputs, outputs = semconv.from_events(span.events)
    inputs, outputs = _messages(inputs), _messages(outputs)
    system = system if isinstance(system, list) else [system]
    return (
        semconv.request_body(endpoint, attributes, system, inputs),
        semconv.response_body(endpoint, attributes, outputs),
    )


def _messages(value: Any) -> list[dict[str, Any]]:
    return [m for m in value if isinstance(m, dict)] if isinstance(value, list) else []


def _usage(record: Record, usage: semconv.Usage) -> None:
    """Token counts the span states win over what its bodies say."""
    for column, value in (
        ("input_tokens", usage.input), ("output_tokens", usage.output),
        ("cache_read_tokens", usage.cache_read), ("cache_write_tokens", usage.cache_write),
        ("reasoning_tokens", usage.reasoning),
    ):  # fmt: skip
        if value is not None:
            record[column] = value


def _ttft_ms(attributes: dict[str, Any]) -> float | None:
    seconds = attributes.get("gen_ai.response.time_to_first_chunk")
    return seconds * 1000 if isinstance(seconds, int | float) else None


def _metadata(span: Span) -> dict[str, Any]:
    """An exported call's own metadata; else where the span came from."""
    given = json_value(span.own("metadata"))
    if isinstance(given, dict):
        return given
    proto, service = span.proto, span.resource.get("service.name")
    otel = {"span_id": proto.span_id.hex(), "span_name": proto.name}
    if proto.parent_span_id:
        otel["parent_span_id"] = proto.parent_span_id.hex()
    if service:
        otel["service"] = service
    return {"otel": otel}
