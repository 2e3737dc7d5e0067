"""One HTTP attempt as seen on the wire: the raw facts the tee collects on the request path.

Only cheap work happens here (keeping references to the bytes, reading a few header
values, one regex until the first content delta, clock reads). Parsing, cost, redaction
and serialisation happen on the writer thread.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from llmlog.capture.context import CallContext, PendingContext

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


class Exchange:
    """One call on the wire, made on the application's thread for every call.

    It keeps only plain values: the request body, the response chunks, clock readings and
    the few header values a record needs, read as the headers pass. Queued calls are
    long-lived objects for the garbage collector; holding the httpx2 header objects (some
    thirty tracked objects a call) made it run full collections over the application's
    heap, ~15 us a call (measured). Everything else is worked out on the writer thread.
    """

    __slots__ = (
        "_done",
        "_tail",
        "abandoned",
        "attempt",
        "call_id",
        "chunks",
        "content_encoding",
        "context",
        "endpoint",
        "error_message",
        "error_type",
        "idempotency_key",
        "kept_headers",
        "latency_ms",
        "provider",
        "request_body",
        "secrets",
        "started",
        "status_code",
        "streamed",
        "ttft_ms",
    )

    def __init__(
        self,
        call_id: uuid.UUID,
        provider: str,
        endpoint: str,
        context: CallContext | PendingContext,  # resolved on the writer's thread
        request_body: bytes,
        secrets: tuple[str, ...],
        request_headers: Any = (),  # httpx2 Headers or (name, value) byte pairs
    ) -> None:
        self.started = _clock()
        self.call_id = call_id
        self.provider = provider
        self.endpoint = endpoint
        self.context = context
        self.request_body = request_body
        self.secrets = secrets
        self.attempt: int | None = None  # 1 for the first attempt
        self.idempotency_key: str | None = None
        for _, name, value in _triples(request_headers):
            if name == b"x-stainless-retry-count":  # the SDKs number their retries here
                self.attempt = int(value) + 1 if value.isdigit() else None
            elif name == b"idempotency-key":
                self.idempotency_key = value.decode("latin-1")
        self.status_code: int | None = None
        self.content_encoding: str | None = None
        self.kept_headers: dict[str, str] = {}
        self.streamed = False
        self.chunks: list[bytes] = []
        self.ttft_ms: float | None = None
        self.latency_ms: float | None = None
        self.abandoned = False
        self.error_type: str | None = None
        self.error_message: str | None = None
        self._tail = b""
        self._done = False

    def elapsed_ms(self) -> float:
        return (_clock() - self.started) * 1000

    def on_response(self, status: int, headers: Any) -> None:
        """The status and what a record keeps of the response headers."""
        self.status_code = status
        for _, name, value in _triples(headers):
            if name == b"content-type":
                self.streamed = value.startswith(b"text/event-stream")
            elif name == b"content-encoding":
                self.content_encoding = value.decode("latin-1")
            elif name in KEPT_HEADERS:
                self.kept_headers[name.decode("latin-1")] = value.decode("latin-1")

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


_clock = time.perf_counter


def _triples(headers: Any) -> list[tuple[bytes, bytes, bytes]]:
    """(raw name, lower-case name, value) of an httpx2 ``Headers`` or of (name, value) pairs.

    httpx2 keeps exactly these (``Headers._list``, only read here): reading them saves
    building ``.raw`` and lower-casing every name, 1 us of the 2 a call spends on headers
    on the application's thread."""
    kept = getattr(headers, "_list", None)
    if kept is None:
        kept = [(key, key.lower(), value) for key, value in getattr(headers, "raw", headers)]
    return kept  # type: ignore[no-any-return]
