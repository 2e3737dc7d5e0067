"""One HTTP attempt as seen on the wire: the raw facts the tee collects on the request path.

The application's thread only keeps references (the request body, httpx2's header lists,
the response chunks), reads two clocks and an id key, looks for the content type, and
scans a stream until its first content delta. Everything derived from those facts (the
call's id and context, header values) is worked out on the writer thread, as are
parsing, cost, redaction and serialisation.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from llmlog.capture.context import CallContext, begin_call, resolve
from llmlog.ids import id_of, new_key

# The first *content* delta of any supported stream: text, tool-call arguments or a
# refusal (not the role chunk, not an empty string, not a ping).
FIRST_CONTENT = re.compile(
    rb'"(?:content|arguments|refusal|text|thinking|partial_json)"\s*:\s*"[^"]'
    rb"|output_text\.delta|function_call_arguments\.delta|refusal\.delta"
)
_TAIL = 64

# Response headers worth keeping (never auth): request ids and rate-limit state.
KEPT_HEADERS = frozenset(
    (
        b"x-request-id",
        b"request-id",
        b"openai-processing-ms",
        b"retry-after",
        b"x-ratelimit-remaining-requests",
        b"x-ratelimit-remaining-tokens",
        b"anthropic-ratelimit-requests-remaining",
        b"anthropic-ratelimit-tokens-remaining",
    )
)


@dataclass(frozen=True)
class Source:
    """A wrapped client: its provider, the fields given to ``wrap()``, the keys to scrub."""

    provider: str
    defaults: dict[str, Any] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()


class Exchange:
    """One call on the wire, made on the application's thread for every call.

    Made with its request, before it is sent: it becomes the call ``last_call_id()``
    names. It holds few objects the garbage collector tracks (itself, the chunk list and
    httpx2's two header lists): queued calls are long-lived, and holding the httpx2 header
    objects (some thirty tracked objects a call) made Python run full collections over the
    application's heap, ~15 us a call (measured).
    """

    __slots__ = (
        "_call_id",
        "_done",
        "_tail",
        "abandoned",
        "chunks",
        "endpoint",
        "error_message",
        "error_type",
        "frame",
        "key",
        "latency_ms",
        "request_body",
        "request_headers",
        "response_headers",
        "source",
        "started",
        "status_code",
        "streamed",
        "ttft_ms",
    )

    def __init__(self, source: Source, endpoint: str, request: Any) -> None:
        self.started = _clock()
        self.key = key = new_key()
        self.frame = begin_call(key)
        self.source = source
        self.endpoint = endpoint
        self.request_body: bytes = request.content
        self.request_headers = _triples(request.headers)
        self.response_headers: Sequence[tuple[bytes, bytes, bytes]] = ()
        self.status_code: int | None = None
        self.streamed = False
        self.chunks: list[bytes] = []
        self.ttft_ms: float | None = None
        self.latency_ms: float | None = None
        self.abandoned = False
        self.error_type: str | None = None
        self.error_message: str | None = None
        self._tail = b""
        self._done = False
        self._call_id: uuid.UUID | None = None

    # --- on the application's thread ---------------------------------------------------

    def elapsed_ms(self) -> float:
        return (_clock() - self.started) * 1000

    def on_response(self, status: int, headers: Any) -> None:
        self.status_code = status
        self.response_headers = kept = _triples(headers)
        for _, name, value in kept:
            if name == b"content-type":
                self.streamed = value.startswith(b"text/event-stream")
                return

    def scan_ttft(self, chunk: bytes) -> bool:
        """Stamp the TTFT if ``chunk`` holds the first content delta; False once stamped."""
        window = self._tail + chunk
        if FIRST_CONTENT.search(window):
            self.ttft_ms = self.elapsed_ms()
            return False
        self._tail = window[-_TAIL:]
        return True

    def on_error(self, exc: BaseException) -> None:
        self.error_type = type(exc).__name__
        self.error_message = str(exc) or type(exc).__name__

    def finish(self, submit: Callable[[Exchange], None], *, complete: bool) -> None:
        """Stamp the end (first call wins) and hand the exchange to the writer."""
        if self._done:
            return
        self._done = True
        self.latency_ms = self.elapsed_ms()
        self.abandoned = self.streamed and not complete and self.error_type is None
        submit(self)

    # --- worked out on the writer's thread -------------------------------------------------

    @property
    def call_id(self) -> uuid.UUID:
        made = self._call_id
        if made is None:
            made = self._call_id = id_of(self.key)  # the same from any thread
        return made

    @property
    def context(self) -> CallContext:
        return resolve(self.call_id, self.frame, self.source.defaults)

    @property
    def provider(self) -> str:
        return self.source.provider

    @property
    def secrets(self) -> tuple[str, ...]:
        return self.source.secrets

    @property
    def attempt(self) -> int | None:
        """1 for the first attempt: the SDKs number their retries in a request header."""
        value = _value(self.request_headers, b"x-stainless-retry-count")
        return int(value) + 1 if value is not None and value.isdigit() else None

    @property
    def idempotency_key(self) -> str | None:
        value = _value(self.request_headers, b"idempotency-key")
        return None if value is None else value.decode("latin-1")

    @property
    def content_encoding(self) -> str | None:
        value = _value(self.response_headers, b"content-encoding")
        return None if value is None else value.decode("latin-1")

    @property
    def kept_headers(self) -> dict[str, str]:
        """The response headers a record keeps (request ids, rate-limit state)."""
        return {
            name.decode("latin-1"): value.decode("latin-1")
            for _, name, value in self.response_headers
            if name in KEPT_HEADERS
        }


_clock = time.perf_counter


def _value(headers: Sequence[tuple[bytes, bytes, bytes]], name: bytes) -> bytes | None:
    for _, key, value in headers:
        if key == name:
            return value
    return None


def _triples(headers: Any) -> list[tuple[bytes, bytes, bytes]]:
    """(raw name, lower-case name, value) of an httpx2 ``Headers`` or of (name, value) pairs.

    httpx2 keeps exactly these (``Headers._list``, only read here; a request's or a
    response's headers are not changed once sent or received): keeping that list costs
    the application's thread nothing, where reading the headers cost it microseconds."""
    kept = getattr(headers, "_list", None)
    if kept is None:
        kept = [(key, key.lower(), value) for key, value in getattr(headers, "raw", headers)]
    return kept  # type: ignore[no-any-return]
