"""What ``llmlog otlp`` does with an export: decode it, make its GenAI spans records, store
them all or none.

- A body that is not an OTLP request, or a span whose ids have the wrong length, makes the
  whole export malformed (``Malformed``: 400, nothing stored). A GenAI span that decodes
  but cannot be a record (a start time the store refuses) is left out and reported in the
  response's ``partial_success``; the export's other calls are stored.
- The calls of one export are written by one ``BatchWriter.write``: a single COPY (one
  statement, all or nothing) or, when some were stored before, one transaction that
  inserts them with ``ON CONFLICT DO NOTHING`` — so a re-sent export stores nothing twice
  and a failed write stores nothing at all (the exporter retries it).
- Content in the older conventions arrives as log events on ``/v1/logs``, sent by another
  exporter at another moment than the span. Events whose span has not come yet wait here
  (``PENDING_SECONDS``); events for a span already stored replace its row with one made
  from the span and all its events (delete and write, in one transaction).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from llmlog.otlp import wire
from llmlog.otlp.semconv import CHOICE_EVENT, EVENT_ROLES
from llmlog.otlp.spans import Span, record_of, records
from llmlog.settings import Settings
from llmlog.store.batch import BatchWriter
from llmlog.store.records import Record, validate

if TYPE_CHECKING:
    import psycopg

PENDING_SECONDS = 600.0  # how long events wait for their span
PENDING_SPANS = 100_000  # spans whose events may wait at once (the oldest go first)
RECENT_SPANS = 10_000  # stored spans remembered for events that come after them
EVENTS = frozenset({*EVENT_ROLES, CHOICE_EVENT})
Key = tuple[bytes, bytes]


class Receiver:
    """Stores exports on one connection (``connect`` makes it, again after a failure)."""

    def __init__(self, connect: Callable[[], psycopg.Connection], settings: Settings) -> None:
        self._connect = connect
        self.settings = settings
        self._writer: BatchWriter | None = None
        self._lock = threading.Lock()
        self._pending: dict[Key, tuple[float, list[tuple[str, Any]]]] = {}
        self._recent: OrderedDict[Key, tuple[Span, Any]] = OrderedDict()

    def traces(self, body: bytes, encoding: str) -> trace_service_pb2.ExportTraceServiceResponse:
        """Store the calls of an ``ExportTraceServiceRequest``; Malformed when it is not one."""
        request = wire.decode(trace_service_pb2.ExportTraceServiceRequest(), body, encoding)
        spans = list(_spans(request))
        response = trace_service_pb2.ExportTraceServiceResponse()
        with self._lock:
            waiting = {s.key: self._pending.pop(s.key) for s in spans if s.key in self._pending}
            try:
                made, rejected = records(
                    spans, self.settings, {key: events for key, (_, events) in waiting.items()}
                )
                self._write([record for _, record in made])
            except Exception:
                self._pending.update(waiting)  # (the exporter sends the spans again)
                raise
            for span, record in made:
                self._remember(span, record)
        if rejected:
            response.partial_success.rejected_spans = len(rejected)
            response.partial_success.error_message = "; ".join(rejected)[:2000]
        return response

    def logs(self, body: bytes, encoding: str) -> logs_service_pb2.ExportLogsServiceResponse:
        """Take the GenAI events of an ``ExportLogsServiceRequest`` (other logs are ignored)."""
        request = wire.decode(logs_service_pb2.ExportLogsServiceRequest(), body, encoding)
        found: dict[Key, list[tuple[str, Any]]] = {}
        for resource_logs in request.resource_logs:
            for scope_logs in resource_logs.scope_logs:
                for log in scope_logs.log_records:
                    name = log.event_name or wire.values(log.attributes).get("event.name")
                    if name in EVENTS and len(log.trace_id) == 16 and len(log.span_id) == 8:
                        key = (bytes(log.trace_id), bytes(log.span_id))
                        found.setdefault(key, []).append((name, wire.value_of(log.body)))
        with self._lock:
            self._take_events(found)
        return logs_service_pb2.ExportLogsServiceResponse()

    # --- under the lock ---------------------------------------------------------------

    def _take_events(self, found: dict[Key, list[tuple[str, Any]]]) -> None:
        now = time.monotonic()
        replaced: list[Record] = []
        for key, events in found.items():
            if key in self._recent:
                span, record = self._recent[key]
                span.events += events
                replaced.append(validate(record_of(span, self.settings, _parent(record))))
            else:
                _, waiting = self._pending.get(key, (0.0, []))
                self._pending[key] = (now + PENDING_SECONDS, waiting + events)
        expired = [k for k, (until, _) in self._pending.items() if until < now]
        excess = len(self._pending) - len(expired) - PENDING_SPANS
        if excess > 0:  # (dicts keep insertion order: the first keys waited longest)
            expired += [k for k, (until, _) in self._pending.items() if until >= now][:excess]
        for key in expired:
            del self._pending[key]
        if replaced:
            self._write(replaced, replace=True)

    def _remember(self, span: Span, record: Record) -> None:
        self._recent[span.key] = (span, record)
        while len(self._recent) > RECENT_SPANS:
            self._recent.popitem(last=False)

    def _write(self, made: list[Record], *, replace: bool = False) -> None:
        if not made:
            return
        import psycopg

        writer = self._writer
        try:
            if writer is None:
                writer = self._writer = BatchWriter(
                    self._connect(), max_payload_bytes=self.settings.max_payload_bytes
                )
            if not replace:
                writer.write(made)
                return
            with writer.conn.transaction():
                writer.conn.execute(
                    "DELETE FROM llm_calls WHERE (id, ts) IN (SELECT * FROM unnest(%s::uuid[], "
                    "%s::timestamptz[]))",
                    ([r["id"] for r in made], [r["ts"] for r in made]),
                )
                writer.write(made)
        except psycopg.OperationalError:
            self.close()  # (connect again on the next export)
            raise

    def close(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.conn.close()


def _parent(record: Record) -> Callable[[Key], Any]:
    """What a span's parent is found to be: what it was found to be when it came."""
    return lambda _: record.get("parent_id")


def _spans(request: Any) -> Any:
    """Each span of an export with its attributes and its resource's; Malformed on bad ids."""
    for resource_spans in request.resource_spans:
        resource = wire.values(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for proto in scope_spans.spans:
                if len(proto.trace_id) != 16 or len(proto.span_id) != 8:
                    raise wire.Malformed("a span's trace id is not 16 bytes or its id not 8")
                if len(proto.parent_span_id) not in (0, 8):
                    raise wire.Malformed("a span's parent span id is not 8 bytes")
                attributes = wire.values(proto.attributes)
                events = [
                    (event.name, wire.values(event.attributes))
                    for event in proto.events
                    if event.name in EVENTS
                ]
                yield Span(proto, attributes, resource, events)
