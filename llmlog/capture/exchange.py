"""One HTTP attempt as seen on the wire: the raw facts the tee collects on the request path.

Only cheap work happens here (appending bytes, one regex until the first content delta,
clock reads). Parsing, cost, redaction and serialisation happen on the writer thread.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
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


@dataclass(slots=True)
class HeaderFacts:
    attempt: int | None = None  # 1 for the first attempt
    idempotency_key: str | None = None
    content_encoding: str | None = None
    kept: dict[str, str] = field(default_factory=dict)


class Exchange:
    """One call on the wire. Made on the application's thread for every call, so it only
    keeps references (the request's body and headers objects, the response's headers, the
    chunks) and clock readings; everything else is worked out on the writer thread."""

    __slots__ = (
        "_done",
        "_tail",
        "abandoned",
        "call_id",
        "chunks",
        "context",
        "endpoint",
        "error_message",
        "error_type",
        "latency_ms",
        "provider",
        "request_body",
        "request_headers",
        "response_headers",
        "secrets",
        "started",
        "status_code",
        "streamed",
        "ttft_ms",
    )  # fmt: skip

    def __init__(
        self,
        call_id: uuid.UUID,
        provider: str,
        endpoint: str,
        context: CallContext | PendingContext,  # resolved on the writer's thread
        request_body: bytes,
        secrets: tuple[str, ...],
        request_headers: Any = (),  # httpx2 Headers or their raw (name, value) list
    ) -> None:
        self.started = _clock()
        self.call_id = call_id
        self.provider = provider
        self.endpoint = endpoint
        self.context = context
        self.request_body = request_body
        self.secrets = secrets
        self.request_headers = request_headers
        self.status_code: int | None = None
        self.response_headers: Any = ()
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
        """Keep the headers object; it is read on the writer thread (``header``)."""
        self.status_code = status
        self.response_headers = headers
        for key, value in headers.raw:  # (Headers.get works out the headers' encoding first)
            if key.lower() == b"content-type":
                self.streamed = value.startswith(b"text/event-stream")
                break

    def header_facts(self) -> HeaderFacts:
        """What a record keeps of the headers, in one pass over each list (writer thread)."""
        facts = HeaderFacts()
        for key, value in _raw(self.request_headers):
            name = key.lower()
            if name == b"x-stainless-retry-count":  # the SDKs number their retries here
                facts.attempt = int(value) + 1 if value.isdigit() else None
            elif name == b"idempotency-key":
                facts.idempotency_key = value.decode("latin-1")
        for key, value in _raw(self.response_headers):
            name = key.lower()
            if name == b"content-encoding":
                facts.content_encoding = value.decode("latin-1")
            elif name in KEPT_HEADERS:
                facts.kept[name.decode("latin-1")] = value.decode("latin-1")
        return facts

    def on_chunk(self, chunk: bytes) -> None:
        """Keep a chunk (the tee streams call ``scan_ttft`` themselves, only until it hits)."""
        self.chunks.append(chunk)
        if self.streamed and self.ttft_ms is None:
            self.scan_ttft(chunk)

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


def _raw(headers: Any) -> Iterable[tuple[bytes, bytes]]:
    """(name, value) byte pairs of an httpx2 ``Headers`` or of such a list."""
    return headers if isinstance(headers, list) else getattr(headers, "raw", headers)
