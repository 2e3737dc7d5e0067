"""``llmlog otlp``'s HTTP side: a small ASGI app served by uvicorn.

``POST /v1/traces`` and ``POST /v1/logs`` (OTLP/HTTP), ``application/x-protobuf`` or
``application/json``, gzip or not. Answers as the OTLP specification says: 200 with an
``Export*ServiceResponse`` in the request's encoding; 400 with a ``google.rpc.Status``
for a malformed export (nothing stored); 401 without the token; 415 for another content
type; 503 while the store is unreachable (exporters retry it). The store work runs on one
thread of its own, one export at a time, so the event loop only reads and answers.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from llmlog.errors import StoreUnavailableError, UsageError
from llmlog.otlp import wire
from llmlog.otlp.receiver import Receiver

log = logging.getLogger("llmlog")

MAX_REQUEST = 32 * 1024 * 1024  # bytes of a (compressed) request body
ROUTES = {"/v1/traces": "traces", "/v1/logs": "logs"}
# google.rpc.Code values for the Status bodies.
INVALID_ARGUMENT, UNAUTHENTICATED, UNAVAILABLE, UNIMPLEMENTED = 3, 16, 14, 12

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, token: str | None) -> None:
    """Off loopback a token is required: anyone who reaches the port could write calls."""
    if not token and not is_loopback(host):
        raise UsageError(
            f"--host {host} is reachable from other machines and no token is set",
            hint="give --token T (or LLMLOG_OTLP_TOKEN); exporters then send the header "
            "'Authorization: Bearer T' (OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20T)",
        )


class App:
    """The ASGI application over a ``Receiver``."""

    def __init__(self, receiver: Receiver, token: str | None = None) -> None:
        self.receiver = receiver
        self._expected = f"Bearer {token}".encode() if token else None
        self._store = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llmlog-otlp")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, self.close)
            return
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope["headers"]}
        try:
            encoding = wire.encoding_of(headers.get("content-type", b"").decode("latin-1"))
        except wire.Unsupported as exc:
            encoding = wire.JSON
            unsupported: str | None = str(exc)
        else:
            unsupported = None
        route = ROUTES.get(scope["path"].rstrip("/"))
        if route is None or scope["method"] != "POST":
            code = 404 if route is None else 405
            await _answer(send, code, wire.status(UNIMPLEMENTED, "not found", encoding), encoding)
            return
        if self._expected is not None and not hmac.compare_digest(
            headers.get("authorization", b""), self._expected
        ):
            body = wire.status(UNAUTHENTICATED, "a valid 'Authorization: Bearer' token is needed",
                               encoding)  # fmt: skip
            await _answer(send, 401, body, encoding)
            return
        if unsupported is not None:
            await _answer(send, 415, wire.status(INVALID_ARGUMENT, unsupported, encoding), encoding)
            return
        content = await _read(receive)
        if content is None:
            text = f"the body is larger than {MAX_REQUEST} bytes"
            await _answer(send, 413, wire.status(INVALID_ARGUMENT, text, encoding), encoding)
            return
        coding = headers.get("content-encoding", b"").decode("latin-1") or None
        code, answer = await asyncio.get_running_loop().run_in_executor(
            self._store, self._handle, route, content, coding, encoding
        )
        await _answer(send, code, answer, encoding)

    def _handle(
        self, route: str, body: bytes, coding: str | None, encoding: str
    ) -> tuple[int, bytes]:
        """(HTTP status, body) for one export: runs on the store thread."""
        import psycopg

        try:
            message = getattr(self.receiver, route)(wire.inflate(body, coding), encoding)
        except wire.Unsupported as exc:
            return 415, wire.status(INVALID_ARGUMENT, str(exc), encoding)
        except wire.Malformed as exc:
            return 400, wire.status(INVALID_ARGUMENT, str(exc), encoding)
        except (psycopg.OperationalError, StoreUnavailableError) as exc:
            log.warning("llmlog: the store is unreachable (%s); the exporter will retry", exc)
            return 503, wire.status(UNAVAILABLE, "the store is unreachable; retry", encoding)
        except psycopg.DataError as exc:  # (a value the checks passed and the store refused)
            return 400, wire.status(INVALID_ARGUMENT, f"the store refused the export: {exc}",
                                    encoding)  # fmt: skip
        return 200, wire.encode(message, encoding)

    def close(self) -> None:
        self._store.submit(self.receiver.close).result()
        self._store.shutdown()


async def _read(receive: Receive) -> bytes | None:
    """The request body, or None past ``MAX_REQUEST``."""
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_REQUEST:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _answer(send: Send, code: int, body: bytes, encoding: str) -> None:
    headers = [(b"content-type", encoding.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send, close: Callable[[], None]) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await asyncio.get_running_loop().run_in_executor(None, close)
            await send({"type": "lifespan.shutdown.complete"})
            return


def server(app: App, host: str, port: int) -> Any:
    """A uvicorn server for ``app`` (``.run()`` serves until interrupted)."""
    import uvicorn

    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="on", access_log=False
    )
    return uvicorn.Server(config)
