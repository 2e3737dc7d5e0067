"""The tee: an httpx2 transport that forwards to the SDK's own client and records the traffic.

The wrapped SDK client gets a new ``httpx2.Client`` whose transport is ``TeeTransport``;
it sends each request through the original client's public ``send(..., stream=True)``, so
the original's connection pool, proxies, TLS settings, auth and redirects all still apply.
Every request to a captured endpoint is noted as it leaves (``Began``) and handed to the
writer as an ``Exchange`` when it ends: the request body, the response bytes (an event
stream's as they stream through, any other body read whole here), timings. Anything that
goes wrong inside llmlog is logged and swallowed; the application's own errors are
re-raised unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2

from llmlog.capture import writer
from llmlog.capture.exchange import (
    Began,
    Source,
    answered,
    begin,
    clock,
    failed,
    response_facts,
    streamed,
)

log = logging.getLogger("llmlog")


class _Tee:
    """An event stream on its way to the caller: each chunk is kept (a reference) with a
    clock reading (the writer finds the first content delta among them, for TTFT), the end
    hands the call over. A caller may drop a stream unread and unclosed: it is then
    recorded when collected, as abandoned. The sync and async streams below differ only
    in how they iterate and close."""

    def __init__(self, inner: Any, began: Began, status: int, facts: dict[bytes, bytes]) -> None:
        self._inner = inner
        self._began = began
        self._status = status
        self._facts = facts
        self._chunks: list[bytes] = []
        self._arrivals: list[float] = []
        self._error: Exception | None = None
        self._complete = False
        self._done = False

    def _finish(self) -> None:
        """Hand the call over (the first call wins: end of stream, close or collection)."""
        if self._done:
            return
        self._done = True
        try:
            ended = streamed(
                self._began,
                self._status,
                self._facts,
                (tuple(self._chunks), tuple(self._arrivals)),
                complete=self._complete,
                error=self._error,
            )
        except Exception:  # (may run in __del__: nothing may escape)
            log.debug("llmlog: could not hand a stream's call over", exc_info=True)
            return
        writer.submit(ended)

    def __del__(self) -> None:
        self._finish()


class _TeeStream(_Tee, httpx2.SyncByteStream):
    def __iter__(self) -> Iterator[bytes]:
        keep, mark = self._chunks.append, self._arrivals.append
        try:
            for chunk in self._inner:
                keep(chunk)
                mark(clock())
                yield chunk
        except Exception as exc:
            self._error = exc
            raise
        self._complete = True
        self._finish()

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._finish()


class _AsyncTeeStream(_Tee, httpx2.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        keep, mark = self._chunks.append, self._arrivals.append
        try:
            async for chunk in self._inner:
                keep(chunk)
                mark(clock())
                yield chunk
        except Exception as exc:
            self._error = exc
            raise
        self._complete = True
        self._finish()

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._finish()


class ClientForward(httpx2.BaseTransport):
    """Sends through a whole ``httpx2.Client`` (its auth, hooks, proxies, redirects)."""

    def __init__(self, client: httpx2.Client) -> None:
        self.client = client

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self.client.send(request, stream=True)
        return httpx2.Response(
            response.status_code,
            headers=response.headers,
            stream=response.stream,
            extensions=response.extensions,
        )

    def close(self) -> None:
        self.client.close()


class AsyncClientForward(httpx2.AsyncBaseTransport):
    def __init__(self, client: httpx2.AsyncClient) -> None:
        self.client = client

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.client.send(request, stream=True)
        return httpx2.Response(
            response.status_code,
            headers=response.headers,
            stream=response.stream,
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.client.aclose()


class TeeTransport(httpx2.BaseTransport):
    """Records captured endpoints' traffic on its way through ``inner``.

    ``owner`` is only kept alive: the SDK's default HTTP client closes its pool when it
    is collected, and ``inner`` may be that pool.
    """

    def __init__(self, inner: httpx2.BaseTransport, source: Source, owner: object = None) -> None:
        self.inner = inner
        self.source = source
        self.owner = owner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        # An event stream is teed chunk by chunk on its way to the caller. Any other body
        # is read whole here, as sent (the SDK reads it whole anyway), and handed on as
        # the same bytes: no stream of ours between the SDK and its bytes.
        began = begin(self.source, request)
        if began is None:
            return self.inner.handle_request(request)
        status = facts = None
        try:
            response = self.inner.handle_request(request)
            status = response.status_code
            facts, streamed = response_facts(response.headers)
            if streamed:
                response.stream = _TeeStream(response.stream, began, status, facts)
                return response
            stream: Any = response.stream
            try:
                chunks = tuple(stream)
            finally:
                stream.close()
        except Exception as exc:
            writer.submit(failed(began, exc, status, facts))
            raise
        writer.submit(answered(began, status, facts, chunks))
        response.stream = httpx2.ByteStream(b"".join(chunks))
        return response

    def close(self) -> None:
        self.inner.close()


class AsyncTeeTransport(httpx2.AsyncBaseTransport):
    def __init__(
        self, inner: httpx2.AsyncBaseTransport, source: Source, owner: object = None
    ) -> None:
        self.inner = inner
        self.source = source
        self.owner = owner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        began = begin(self.source, request)
        if began is None:
            return await self.inner.handle_async_request(request)
        status = facts = None
        try:
            response = await self.inner.handle_async_request(request)
            status = response.status_code
            facts, streamed = response_facts(response.headers)
            if streamed:
                response.stream = _AsyncTeeStream(response.stream, began, status, facts)
                return response
            stream: Any = response.stream
            try:
                chunks = tuple([chunk async for chunk in stream])
            finally:
                await stream.aclose()
        except Exception as exc:
            writer.submit(failed(began, exc, status, facts))
            raise
        writer.submit(answered(began, status, facts, chunks))
        response.stream = httpx2.ByteStream(b"".join(chunks))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
