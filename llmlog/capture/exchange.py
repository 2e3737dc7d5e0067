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
from collections.abc import Callable, Iterable
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
# The headers whose values an exchange notes, by lower-case name.
REQUEST_FACTS = frozenset((b"x-stainless-retry-count", b"idempotency-key"))
RESPONSE_FACTS = KEPT_HEADERS | {b"content-type", b"content-encoding"}


@dataclass(frozen=True)
class Source:
    """A wrapped client: its provider, the fields given to ``wrap()``, the keys to scrub."""

    provider: str
    defaults: dict[str, Any] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()


class Exchange:
    """One call on the wire, made on the application's thread for every call.

    Made with its request, before it is sent: it becomes the call ``last_call_id()``
    names. Once finished it holds one object the garbage collector tracks: itself. Queued
    calls are long-lived; each tracked object they hold brings the collector's next pass,
    and its next full pass over the application's heap, closer. Keeping httpx2's header
    lists (some twenty-five tracked objects a call) cost ~18 us a call in collections,
    holding the header objects ~15 us (both measured). So the few header values a record
    needs are noted as they pass, in dicts of bytes (which the collector does not track),
    and the chunks end up in a tuple (which it stops tracking on its first pass).
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
        "request_facts",
        "response_facts",
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
        self.request_facts = _facts(request.headers, REQUEST_FACTS)
        self.response_facts: dict[bytes, bytes] = {}
        self.status_code: int | None = None
        self.streamed = False
        self.chunks: tuple[bytes, ...] = ()
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

    def on_response(self, status: int, headers: Any) -> bool:
        """Note the status and headers; True if the body is an event stream."""
        self.status_code = status
        self.response_facts = facts = _facts(headers, RESPONSE_FACTS)
        self.streamed = streamed = facts.get(b"content-type", b"").startswith(b"text/event-stream")
        return streamed

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

    def finish(
        self,
        submit: Callable[[Exchange], None],
        chunks: Iterable[bytes] = (),
        *,
        complete: bool,
    ) -> None:
        """Stamp the end, keep the body's ``chunks`` and hand the exchange to the writer
        (the first call wins)."""
        if self._done:
            return
        self._done = True
        self.latency_ms = (_clock() - self.started) * 1000
        self.chunks = tuple(chunks)
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
        value = self.request_facts.get(b"x-stainless-retry-count", b"")
        return int(value) + 1 if value.isdigit() else None

    @property
    def idempotency_key(self) -> str | None:
        value = self.request_facts.get(b"idempotency-key")
        return None if value is None else value.decode("latin-1")

    @property
    def content_encoding(self) -> str | None:
        value = self.response_facts.get(b"content-encoding")
        return None if value is None else value.decode("latin-1")

    @property
    def kept_headers(self) -> dict[str, str]:
        """The response headers a record keeps (request ids, rate-limit state)."""
        return {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in self.response_facts.items()
            if name in KEPT_HEADERS
        }


_clock = time.perf_counter


def _facts(headers: Any, wanted: frozenset[bytes]) -> dict[bytes, bytes]:
    """The values of the ``wanted`` headers (lower-case names) of an httpx2 ``Headers``.

    Read from httpx2's own list of (raw name, lower-case name, value) (``Headers._list``,
    only read here), which saves building ``.raw`` and lower-casing every name; if a
    future httpx2 drops it, from ``.raw``."""
    triples = getattr(headers, "_list", None)
    if triples is None:
        triples = [(key, key.lower(), value) for key, value in headers.raw]
    found = {}
    for _, name, value in triples:  # (not a comprehension: one frame less, in place)
        if name in wanted:
            found[name] = value
    return found
