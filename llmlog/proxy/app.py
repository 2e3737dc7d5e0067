"""The proxy as an ASGI application: forward each request, relay the answer as it comes,
and hand every captured call to the writer as ``llmlog.wrap()``'s tee does.

Each request goes to the upstream of its provider: Anthropic's when it carries the
``anthropic-version`` header (the Anthropic SDK sends it on every request) or its path
starts ``/v1/messages``, else the OpenAI (or OpenAI-compatible) upstream, whose base URL
stands where the proxy's ``/v1`` is. Method, path, query, headers (``headers`` says which)
and body go on unchanged through a pooled ``httpx2.AsyncHTTPTransport`` per upstream (the
SDKs' own HTTP library; the bare transport, not a client: no cookie jar shared between
callers, no redirects followed, no default headers added), through the egress proxy the
environment names, if any. The answer is relayed chunk by chunk as it arrives, its bytes
as sent (compressed or not).

Calls to captured endpoints (``exchange.ENDPOINTS``) become the same ``Began`` and
``Exchange`` tuples the tee makes, so the writer builds their rows with the same parsers,
cost, privacy and error vocabulary. Where the tee re-raises into the application, the
proxy answers: an upstream timeout with 504, a failure to connect with 502 (an error body
in the provider's shape), an answer that breaks off by closing the client's connection
unfinished; each is recorded as the tee records it. A client that goes away before its
answer is whole is recorded too (a stream: abandoned; before the answer: a
``connection`` error).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import logging
import urllib.request
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2
import orjson

from llmlog import ids, settings
from llmlog.capture import writer
from llmlog.capture.context import Frame
from llmlog.capture.exchange import (
    Began,
    Source,
    answered,
    clock,
    endpoint_at,
    failed,
    new_tuple,
    response_facts,
    streamed,
)
from llmlog.errors import ConfigError
from llmlog.proxy import headers as wire

log = logging.getLogger("llmlog")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

OPENAI_UPSTREAM = "https://api.openai.com/v1"
ANTHROPIC_UPSTREAM = "https://api.anthropic.com"
TIMEOUT = 600.0  # s, as the SDKs' default: a long answer takes minutes
PARENT = wire.PARENT.decode()
GONE = "the client disconnected before the whole answer came"


@dataclass(frozen=True)
class ProxyConfig:
    """What ``llmlog proxy`` serves: where it forwards, the default feature, the token
    clients must send (None: none needed), and the upstream timeout in seconds."""

    openai_upstream: str = OPENAI_UPSTREAM
    anthropic_upstream: str = ANTHROPIC_UPSTREAM
    feature: str | None = None
    token: str | None = None
    timeout: float = TIMEOUT


class UpstreamBroke(Exception):
    """The upstream's answer broke off after its headers were relayed: the client's
    connection is closed unfinished, so it sees the failure too."""


class Proxy:
    """The ASGI application (``http`` and ``lifespan`` scopes)."""

    def __init__(self, config: ProxyConfig) -> None:
        self.config = config
        self.upstreams = {
            "openai": config.openai_upstream.rstrip("/"),
            "anthropic": config.anthropic_upstream.rstrip("/"),
        }
        self.token = None if config.token is None else config.token.encode()
        self.timeout = httpx2.Timeout(config.timeout).as_dict()
        self.egress = {name: egress_proxy(url) for name, url in self.upstreams.items()}
        limits = httpx2.Limits(max_connections=None, max_keepalive_connections=200)
        self.transports = {
            name: httpx2.AsyncHTTPTransport(limits=limits, proxy=self.egress[name])
            for name in self.upstreams
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self.lifespan(receive, send)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        """Start the writer with the server; at shutdown close the pool and flush."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # The writer's threads, ready now (an invalid setting was said once, at
                # WARNING: calls are then forwarded uncaptured).
                with contextlib.suppress(ConfigError):
                    writer.get()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for transport in self.transports.values():
                    await transport.aclose()
                await asyncio.to_thread(flush)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        incoming = wire.sort(scope["headers"])
        path: str = scope["path"]
        provider = (
            "anthropic" if incoming.anthropic or path.startswith("/v1/messages") else "openai"
        )
        if self.token is not None and not (
            incoming.token is not None and hmac.compare_digest(incoming.token, self.token)
        ):
            message = f"llmlog proxy: missing or wrong {wire.TOKEN.decode()} header"
            await reply(send, provider, 401, "authentication_error", message)
            return
        body = await read_body(receive)
        request = self.upstream_request(scope, provider, incoming.forward, body)
        began = None
        if scope["method"] == "POST":
            began = self.begin(provider, endpoint_at(path), incoming, body)
        transport = self.transports[provider]
        await Forward(transport, began, provider, send).run(request, receive)

    def upstream_request(
        self, scope: Scope, provider: str, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> httpx2.Request:
        """The request as it goes on: same method, path (as sent), query and body."""
        path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        if provider == "openai" and (path == "/v1" or path.startswith("/v1/")):
            path = path[3:]  # the OpenAI upstream's base URL stands for /v1
        query = scope.get("query_string") or b""
        url = self.upstreams[provider] + path + ("?" + query.decode("latin-1") if query else "")
        extensions = {"timeout": self.timeout}
        return httpx2.Request(
            scope["method"], url, headers=headers, content=body, extensions=extensions
        )

    def begin(
        self, provider: str, endpoint: str | None, incoming: wire.Incoming, body: bytes
    ) -> Began | None:
        """Note a captured call as it leaves, as ``exchange.begin`` does for the tee; its
        context comes from the request's headers. None when not captured; never raises."""
        if endpoint is None:
            return None
        try:
            if not (settings.loaded or settings.current()).enabled:
                return None
            key = (ids.now_ns(), next(ids.sequence))
            fields: dict[str, Any] = {"feature": self.config.feature, **incoming.context}
            if incoming.metadata:
                fields["metadata"] = incoming.metadata
            source = Source(provider=provider, defaults=fields, secrets=incoming.secrets)
            frame = _frame(key, incoming)
            began = (source, endpoint, key, frame, clock(), body, incoming.facts)
            return new_tuple(Began, began)
        except ConfigError:  # said once at WARNING (settings.current)
            settings.count_uncaptured()
            return None
        except Exception:
            log.debug("llmlog: could not start capturing a request", exc_info=True)
            return None


def egress_proxy(upstream: str) -> str | None:
    """The HTTP proxy the environment names for ``upstream`` (``HTTPS_PROXY``,
    ``HTTP_PROXY``, ``ALL_PROXY``, less ``NO_PROXY``), as the SDKs' own clients use it."""
    parts = urlsplit(upstream)
    if urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    found = urllib.request.getproxies()
    return found.get(parts.scheme) or found.get("all")


def _frame(key: ids.Key, incoming: wire.Incoming) -> Frame | None:
    """The context frame of a call whose headers name a trace or a parent, else None (a
    call of its own trace). A parent that is not a UUID is left out (logged)."""
    if incoming.trace_id is None and incoming.parent_id is None:
        return None
    parent = None
    if incoming.parent_id is not None:
        try:
            parent = uuid.UUID(incoming.parent_id)
        except ValueError:
            _say_bad_parent()
    trace = incoming.trace_id or str(ids.id_of(key))
    return Frame(trace_id=trace, anchor=None, fields={}, metadata={}, parent=parent)


@functools.cache
def _say_bad_parent() -> None:
    log.warning("llmlog: %s headers that are not UUIDs are ignored (said once)", PARENT)


class Forward:
    """One request's way through the proxy: send, relay, record."""

    def __init__(
        self, transport: httpx2.AsyncHTTPTransport, began: Began | None, provider: str, send: Send
    ) -> None:
        self.transport = transport
        self.began = began
        self.provider = provider
        self.send = send
        self.gone = False  # the client disconnected before its answer was whole
        self.open = True  # until the answer is whole or the handler is done
        # A captured call's id, told to the client (for llmlog-parent-id, or feedback).
        self.own_headers = (
            [] if began is None else [(wire.CALL_ID, str(ids.id_of(began.key)).encode())]
        )

    async def run(self, request: httpx2.Request, receive: Receive) -> None:
        task = asyncio.current_task()
        watch = asyncio.ensure_future(receive())  # http.disconnect, when the client leaves
        watch.add_done_callback(lambda done: self._left(done, task))
        try:
            await self._run(request)
        except asyncio.CancelledError:
            if not self.gone:
                raise
            if task is not None:
                task.uncancel()
        finally:
            self.open = False
            watch.cancel()

    def _left(self, watch: asyncio.Future[Any], task: asyncio.Task[Any] | None) -> None:
        """The client disconnected: stop waiting for its answer (cancel the handler)."""
        if self.open and not watch.cancelled() and task is not None:
            self.gone = True
            task.cancel()

    async def _run(self, request: httpx2.Request) -> None:
        began = self.began
        try:
            response = await self.transport.handle_async_request(request)
        except asyncio.CancelledError:
            if self.gone and began is not None:
                writer.submit(failed(began, ConnectionAbortedError(GONE)))
            raise
        except httpx2.TimeoutException as exc:
            await self._failed(exc, 504, "timeout_error", "the upstream did not answer in time")
            return
        except Exception as exc:  # refused, reset, no such host, bad TLS
            kind = "api_error" if self.provider == "anthropic" else "server_error"
            await self._failed(exc, 502, kind, "the upstream could not be reached")
            return
        await self._relay(response)

    async def _failed(self, exc: Exception, status: int, kind: str, what: str) -> None:
        if self.began is not None:
            writer.submit(failed(self.began, exc))
        self.open = False
        detail = f"{type(exc).__name__} {exc}".strip()
        message = f"llmlog proxy: {what} ({detail})"
        await reply(self.send, self.provider, status, kind, message, self.own_headers)

    async def _relay(self, response: httpx2.Response) -> None:
        status, stream = response.status_code, response.stream  # (an AsyncByteStream)
        facts, is_stream = response_facts(response.headers)
        keep = self.began is not None
        chunks: list[bytes] = []
        arrivals: list[float] = []
        error: Exception | None = None
        complete = False
        try:
            headers = wire.outgoing(response.headers.raw) + self.own_headers
            await self.send({"type": "http.response.start", "status": status, "headers": headers})
            async for chunk in stream:
                if keep:
                    chunks.append(chunk)
                    if is_stream:
                        arrivals.append(clock())
                await self.send({"type": "http.response.body", "body": chunk, "more_body": True})
            complete = True
        except asyncio.CancelledError:
            if not self.gone:
                raise
        except Exception as exc:
            error = exc
        finally:
            self.open = False  # (nothing is waited for now: a client leaving changes nothing)
            await stream.aclose()  # type: ignore[union-attr]
        if keep:
            received = (tuple(chunks), tuple(arrivals))
            self._record(status, facts, received, stream=is_stream, complete=complete, error=error)
        if error is not None:
            what = f"{type(error).__name__} {error}".strip()
            raise UpstreamBroke(f"the upstream's answer broke off ({what})") from error
        if complete:
            await self.send({"type": "http.response.body", "body": b"", "more_body": False})

    def _record(
        self,
        status: int,
        facts: dict[bytes, bytes],
        received: tuple[tuple[bytes, ...], tuple[float, ...]],
        *,
        stream: bool,
        complete: bool,
        error: Exception | None,
    ) -> None:
        """Hand the call to the writer as the tee would: an event stream however it ended
        (whole, broken, or abandoned by the client), any other body whole or failed."""
        began: Any = self.began
        if stream:
            writer.submit(streamed(began, status, facts, received, complete=complete, error=error))
        elif complete:
            writer.submit(answered(began, status, facts, received[0]))
        else:
            writer.submit(failed(began, error or ConnectionAbortedError(GONE), status, facts))


def flush() -> None:
    """Store every call captured so far, or spool what the store does not take within
    ``exit_timeout``: the server is stopping (and after SIGTERM the process ends without
    running atexit)."""
    found = writer.current()
    if found is not None:
        found.at_exit()


async def read_body(receive: Receive) -> bytes:
    """The request's whole body (the SDKs send it whole; capture keeps it whole)."""
    parts = []
    while True:
        message = await receive()
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(parts)


def error_body(provider: str, kind: str, message: str) -> bytes:
    """An error body in the provider's own shape, as its SDK reads it."""
    if provider == "anthropic":
        return orjson.dumps({"type": "error", "error": {"type": kind, "message": message}})
    error = {"message": message, "type": kind, "param": None, "code": None}
    return orjson.dumps({"error": error})


async def reply(
    send: Send,
    provider: str,
    status: int,
    kind: str,
    message: str,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Answer the client with an error of the proxy's own."""
    body = error_body(provider, kind, message)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    headers += extra or []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
