"""Which headers the proxy reads, which it forwards, and which it keeps to itself.

A request's ``llmlog-*`` headers are the proxy's: the call's context (``CONTEXT``, trace,
parent, ``llmlog-metadata-KEY`` entries) and the proxy's token. They are read here and
never forwarded. The API key (``authorization``, ``x-api-key``) is forwarded as it came
and only noted as a secret to scrub from the stored bodies. Hop-by-hop headers (RFC 9110
§7.6.1: ``connection`` and the headers it names, ``keep-alive``, ``te``, ``trailer``,
``transfer-encoding``, ``upgrade``, ``proxy-*``) belong to one connection and are not
passed on either way; ``host`` and ``content-length`` are the HTTP client's to set for
the upstream.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from llmlog.capture.exchange import REQUEST_FACTS

PREFIX = b"llmlog-"
# Header -> the capture context field it sets (llmlog.context's names).
CONTEXT = {
    b"llmlog-feature": "feature",
    b"llmlog-tenant-id": "tenant_id",
    b"llmlog-user-id": "user_id",
    b"llmlog-session-id": "session_id",
    b"llmlog-prompt-version": "prompt_version",
}
METADATA = b"llmlog-metadata-"  # llmlog-metadata-KEY: VALUE -> metadata {KEY: VALUE}
TRACE = b"llmlog-trace-id"
PARENT = b"llmlog-parent-id"
TOKEN = b"llmlog-token"
CALL_ID = b"llmlog-call-id"  # on the answer to a captured call: the id of its row
HOP_BY_HOP = frozenset(
    (
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    )
)
SET_BY_CLIENT = HOP_BY_HOP | {b"host", b"content-length"}
KEY_HEADERS = (b"authorization", b"x-api-key")
SHORTEST_SECRET = 8  # as wrap(): shorter values are no key worth scrubbing


@dataclass
class Incoming:
    """A request's headers, sorted: what goes on to the upstream and what the proxy keeps."""

    forward: list[tuple[bytes, bytes]] = field(default_factory=list)
    context: dict[str, str] = field(default_factory=dict)  # CONTEXT fields given
    metadata: dict[str, str] = field(default_factory=dict)
    trace_id: str | None = None
    parent_id: str | None = None
    token: bytes | None = None
    secrets: tuple[str, ...] = ()
    facts: dict[bytes, bytes] = field(default_factory=dict)  # exchange.REQUEST_FACTS
    anthropic: bool = False  # the Anthropic SDK sends anthropic-version on every request


def sort(headers: list[tuple[bytes, bytes]]) -> Incoming:
    """Sort an ASGI request's headers (lower-case names)."""
    found = Incoming()
    named = _named_by_connection(headers)
    secrets = []
    for name, value in headers:
        if name.startswith(PREFIX):
            _read_own(found, name, value)
            continue
        if name in SET_BY_CLIENT or name in named:
            continue
        found.forward.append((name, value))
        if name in REQUEST_FACTS:
            found.facts[name] = value
        elif name in KEY_HEADERS:
            secret = value.decode("latin-1").removeprefix("Bearer ").strip()
            if len(secret) >= SHORTEST_SECRET:
                secrets.append(secret)
        elif name == b"anthropic-version":
            found.anthropic = True
    found.secrets = tuple(secrets)
    return found


def _read_own(found: Incoming, name: bytes, value: bytes) -> None:
    if name == TOKEN:
        found.token = value
        return
    text = value.decode("utf-8", "replace").strip() or None
    if text is None:
        return
    if name in CONTEXT:
        found.context[CONTEXT[name]] = text
    elif name.startswith(METADATA) and len(name) > len(METADATA):
        found.metadata[name[len(METADATA) :].decode("latin-1")] = text
    elif name == TRACE:
        found.trace_id = text
    elif name == PARENT:
        found.parent_id = text


def _named_by_connection(headers: list[tuple[bytes, bytes]]) -> frozenset[bytes]:
    """The headers a ``connection`` header names: hop-by-hop too."""
    named: set[bytes] = set()
    for name, value in headers:
        if name == b"connection":
            named.update(part.strip().lower() for part in value.split(b","))
    return frozenset(named)


def outgoing(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """An upstream response's headers as the client gets them (hop-by-hop ones dropped)."""
    lowered = [(name.lower(), value) for name, value in raw]
    named = _named_by_connection(lowered)
    return [(n, v) for n, v in lowered if n not in HOP_BY_HOP and n not in named]
