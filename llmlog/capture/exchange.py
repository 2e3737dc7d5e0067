"""One HTTP attempt as seen on the wire: the raw facts the tee collects on the request path.

On the application's thread, for every call, llmlog makes two tuples and little else: a
``Began`` when the request leaves (a clock reading, the id key, the context frame, the
request body and two header values) and an ``Exchange`` when the call ends (status, a
few response header values, the body's chunks, timings). Every Python call or object
made there costs about half a microsecond in place, among the SDK's own work (timed in
place; docs/capture.md, "Overhead"). Everything derived from those facts (the call's id
and context, header values) is worked out on the writer thread, as are parsing, cost,
redaction and serialisation.
"""

from __future__ import annotations

import functools
import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from llmlog import ids, settings
from llmlog.capture.context import (
    CallContext,
    Frame,
    current_frame,
    resolve,
    set_last_call,
    wrap_fields,
)
from llmlog.errors import ConfigError
from llmlog.ids import Key, id_of, now_ns

log = logging.getLogger("llmlog")

# URL path suffix -> endpoint name; anything else passes through unrecorded.
ENDPOINTS = (
    ("/chat/completions", "chat.completions"),
    ("/responses", "responses"),
    ("/messages", "messages"),
)

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
    # What the defaults give each call, worked out once.
    fields: dict[str, str | None] = field(init=False, repr=False, compare=False)
    metadata: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fields, metadata = wrap_fields(self.defaults)
        object.__setattr__(self, "fields", fields)  # (the dataclass way, when frozen)
        object.__setattr__(self, "metadata", metadata)


class Began(NamedTuple):
    """A captured request as it leaves: made by ``begin``."""

    source: Source
    endpoint: str
    key: Key
    frame: Frame | None
    started: float  # perf_counter
    request_body: bytes
    request_facts: dict[bytes, bytes]


@functools.lru_cache(maxsize=64)
def endpoint_at(path: str) -> str | None:
    """The endpoint a POST to ``path`` reaches, if it is one llmlog captures."""
    path = path.rstrip("/")
    for suffix, name in ENDPOINTS:
        if path.endswith(suffix):
            return name
    return None


def begin(source: Source, request: Any) -> Began | None:
    """Note a request about to be sent, if it is to an endpoint llmlog captures: it
    becomes the call ``last_call_id()`` names. None for any other request; never raises.

    Written out as one function: on the application's thread, in place, each Python call
    costs about half a microsecond (the id key is ``ids.new_key()``'s, the context steps
    are those ``context.set_last_call`` describes). httpx2's kept values are read where it
    has them (never written), each with the public way as the fallback: the header list
    (``_triples``), the body (``content``, a Python property) and the URL's undecoded path
    (every captured endpoint's path ends the same decoded or not)."""
    try:
        if request.method != "POST":
            return None
        url = request.url
        endpoint = endpoint_at(getattr(url, "_uri_reference", url).path)
        if endpoint is None or not (settings.loaded or settings.current()).enabled:
            return None
        key = (now_ns(), next(ids.sequence))
        set_last_call(key)
        frame = current_frame()
        if frame is not None:
            frame.last_call[0] = key
        facts = {}
        headers = request.headers
        for _, name, value in getattr(headers, "_list", None) or _triples(headers):
            if name in REQUEST_FACTS:
                facts[name] = value
        content = getattr(request, "_content", None) or request.content
        return new_tuple(Began, (source, endpoint, key, frame, clock(), content, facts))
    except ConfigError:  # said once at WARNING (settings.current)
        settings.count_uncaptured()
        return None
    except Exception:
        log.debug("llmlog: could not start capturing a request", exc_info=True)
        return None


class Exchange(NamedTuple):
    """One finished call, as the tee hands it to the writer: ``Began``'s fields, then the
    response's. A tuple: one object the garbage collector tracks while the call is
    queued (its dicts hold bytes, which it never tracks, and it stops tracking the chunk,
    arrival and key tuples on its first pass). Holding httpx2's header objects instead (~30
    tracked objects a call) made it run full collections over the application's heap,
    ~15 us a call; holding httpx2's header lists, ~18 us (both measured)."""

    source: Source
    endpoint: str
    key: Key
    frame: Frame | None
    started: float
    request_body: bytes
    request_facts: dict[bytes, bytes]
    status_code: int | None
    response_facts: dict[bytes, bytes]
    streamed: bool
    chunks: tuple[bytes, ...]
    latency_ms: float
    arrivals: tuple[float, ...] = ()  # an event stream's: when each chunk came (perf_counter)
    abandoned: bool = False  # an event stream the caller stopped reading
    error_type: str | None = None
    error_message: str | None = None

    # --- worked out on the writer's thread -------------------------------------------------

    def identity(self) -> tuple[uuid.UUID, CallContext]:
        """The call's id, and who and what caused it."""
        call_id = id_of(self.key)
        source = self.source
        return call_id, resolve(call_id, self.frame, source.fields, source.metadata)

    @property
    def ttft_ms(self) -> float | None:
        """When an event stream's first content delta came, in ms after the request left
        (looked for here: the regex costs the application's thread ~12 us a stream)."""
        tail = b""
        for chunk, at in zip(self.chunks, self.arrivals, strict=False):  # (none if not a stream)
            kept = scan(tail, chunk)
            if kept is None:
                return (at - self.started) * 1000
            tail = kept
        return None

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


def response_facts(headers: Any) -> tuple[dict[bytes, bytes], bool]:
    """The response header values a record needs, and whether the body is an event stream."""
    facts = {}
    for _, name, value in getattr(headers, "_list", None) or _triples(headers):
        if name in RESPONSE_FACTS:
            facts[name] = value
    return facts, facts.get(b"content-type", b"").startswith(b"text/event-stream")


def answered(
    began: Began, status: int, facts: dict[bytes, bytes], chunks: tuple[bytes, ...]
) -> Exchange:
    """A call whose whole body was read, ending now."""
    latency = (clock() - began.started) * 1000
    ended = (*began, status, facts, False, chunks, latency, (), False, None, None)
    return new_tuple(Exchange, ended)


def streamed(
    began: Began,
    status: int,
    facts: dict[bytes, bytes],
    received: tuple[tuple[bytes, ...], tuple[float, ...]],
    *,
    complete: bool,
    error: BaseException | None,
) -> Exchange:
    """An event stream's call, ending now: ``received`` holds its chunks and when each
    came; it was read to its end (``complete``), broken by ``error``, or else abandoned
    by its reader."""
    chunks, arrivals = received
    error_type = message = None
    if error is not None:
        error_type, message = type(error).__name__, error_message(error)
    abandoned = not complete and error is None
    ended = (*began, status, facts, True, chunks, elapsed_ms(began), arrivals, abandoned)
    return new_tuple(Exchange, (*ended, error_type, message))


def elapsed_ms(began: Began) -> float:
    return (clock() - began.started) * 1000


def failed(
    began: Began,
    exc: BaseException,
    status_code: int | None = None,
    response_facts: dict[bytes, bytes] | None = None,
) -> Exchange:
    """A call that ended in an exception before its body was read."""
    return Exchange(
        *began,
        status_code,
        response_facts or {},
        False,
        (),
        elapsed_ms(began),
        error_type=type(exc).__name__,
        error_message=error_message(exc),
    )


def error_message(exc: BaseException) -> str:
    try:
        return str(exc) or type(exc).__name__
    except Exception:  # an exception whose __str__ fails: never let that reach the caller
        return type(exc).__name__


def scan(tail: bytes, chunk: bytes) -> bytes | None:
    """Look for an event stream's first content delta in the next ``chunk`` (``tail``:
    what was kept of the chunks before): None once found, else the tail to keep."""
    window = tail + chunk
    return None if FIRST_CONTENT.search(window) else window[-_TAIL:]


clock = time.perf_counter  # Began.started, an event stream's arrivals
new_tuple = tuple.__new__  # a NamedTuple made without its Python-level __new__


def _triples(headers: Any) -> list[tuple[bytes, bytes, bytes]]:
    """(raw name, lower-case name, value) of each of an httpx2 ``Headers``.

    httpx2 keeps exactly these as ``Headers._list``, which the capture path reads (never
    writes) when it is there: that saves building ``.raw`` and lower-casing every name.
    This makes them from ``.raw``, for an httpx2 that no longer keeps the list. (The
    loops over them are written out, not comprehensions and not a shared function: on
    the application's thread, in place, each Python call costs about half a microsecond.)"""
    return [(key, key.lower(), value) for key, value in headers.raw]
