"""The tee: an httpx2 transport that forwards to the SDK's own client and records the traffic.

The wrapped SDK client gets a new ``httpx2.Client`` whose transport is ``TeeTransport``;
it sends each request through the original client's public ``send(..., stream=True)``, so
the original's connection pool, proxies, TLS settings, auth and redirects all still apply.
Every request to a captured endpoint becomes an ``Exchange``: the request body, the
response bytes as they stream through, timings. Anything that goes wrong inside llmlog is
logged and swallowed; the application's own errors are re-raised unchanged.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2

from llmlog.capture import context as ctx
from llmlog.capture.exchange import Exchange
from llmlog.ids import new_id

log = logging.getLogger("llmlog")

# URL path suffix -> endpoint name; anything else passes through unrecorded.
ENDPOINTS = (
    ("/chat/completions", "chat.completions"),
    ("/responses", "responses"),
    ("/messages", "messages"),
)


def endpoint_of(request: httpx2.Request) -> str | None:
    if request.method != "POST":
        return None
    path = request.url.path.rstrip("/")
    return next((name for suffix, name in ENDPOINTS if path.endswith(suffix)), None)


@dataclass(frozen=True)
class Tap:
    """What a wrapped client records with: its provider, wrap() fields, keys to scrub."""

    provider: str
    defaults: dict[str, Any] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()

    def start(self, request: httpx2.Request) -> Exchange | None:
        """A new exchange for a captured request, or None (never raises)."""
        try:
            endpoint = endpoint_of(request)
            if endpoint is None:
                return None
            from llmlog import settings

            if not settings.current().enabled:
                return None
            call_id = new_id()
            headers = request.headers
            retries = headers.get("x-stainless-retry-count")
            return Exchange(
                call_id=call_id,
                provider=self.provider,
                endpoint=endpoint,
                context=ctx.begin_call(call_id, self.defaults),
                request_body=request.content,
                secrets=self.secrets,
                attempt=int(retries) + 1 if retries and retries.isdigit() else None,
                idempotency_key=headers.get("idempotency-key"),
            )
        except Exception:
            log.debug("llmlog: could not start capturing a request", exc_info=True)
            return None


def submit(exchange: Exchange) -> None:
    try:
        from llmlog.capture import writer

        writer.submit(exchange)
    except Exception:
        log.debug("llmlog: could not queue a call", exc_info=True)


class _TeeStream(httpx2.SyncByteStream):
    def __init__(self, inner: httpx2.SyncByteStream, exchange: Exchange) -> None:
        self._inner = inner
        self._exchange = exchange
        self._complete = False
        # A stream the caller drops without closing still gets recorded (as abandoned).
        weakref.finalize(self, exchange.finish, submit, complete=False)

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._inner:
                self._exchange.on_chunk(chunk)
                yield chunk
        except Exception as exc:
            self._exchange.on_error(exc)
            raise
        self._complete = True
        self._exchange.finish(submit, complete=True)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._exchange.finish(submit, complete=self._complete)


class _AsyncTeeStream(httpx2.AsyncByteStream):
    def __init__(self, inner: httpx2.AsyncByteStream, exchange: Exchange) -> None:
        self._inner = inner
        self._exchange = exchange
        self._complete = False
        weakref.finalize(self, exchange.finish, submit, complete=False)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                self._exchange.on_chunk(chunk)
                yield chunk
        except Exception as exc:
            self._exchange.on_error(exc)
            raise
        self._complete = True
        self._exchange.finish(submit, complete=True)

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._exchange.finish(submit, complete=self._complete)


def _teed(response: httpx2.Response, stream: Any, exchange: Exchange) -> httpx2.Response:
    exchange.on_response(response.status_code, response.headers)
    return httpx2.Response(
        status_code=response.status_code,
        headers=response.headers,
        stream=stream,
        extensions=response.extensions,
    )


class TeeTransport(httpx2.BaseTransport):
    def __init__(self, forward: httpx2.Client, tap: Tap) -> None:
        self.forward = forward
        self.tap = tap

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        exchange = self.tap.start(request)
        if exchange is None:
            return self.forward.send(request, stream=True)
        try:
            response = self.forward.send(request, stream=True)
        except Exception as exc:
            exchange.on_error(exc)
            exchange.finish(submit, complete=False)
            raise
        return _teed(response, _TeeStream(response.stream, exchange), exchange)  # type: ignore[arg-type]

    def close(self) -> None:
        self.forward.close()


class AsyncTeeTransport(httpx2.AsyncBaseTransport):
    def __init__(self, forward: httpx2.AsyncClient, tap: Tap) -> None:
        self.forward = forward
        self.tap = tap

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        exchange = self.tap.start(request)
        if exchange is None:
            return await self.forward.send(request, stream=True)
        try:
            response = await self.forward.send(request, stream=True)
        except Exception as exc:
            exchange.on_error(exc)
            exchange.finish(submit, complete=False)
            raise
        return _teed(response, _AsyncTeeStream(response.stream, exchange), exchange)  # type: ignore[arg-type]

    async def aclose(self) -> None:
        await self.forward.aclose()
