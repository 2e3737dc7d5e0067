"""Serving the proxy with uvicorn: in the foreground (``llmlog proxy``) or in a thread.

uvicorn handles SIGINT and SIGTERM in the foreground: it stops accepting, lets the calls
in flight finish, then runs the application's shutdown, which flushes the writer.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import secrets
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn

from llmlog.proxy.app import Proxy, ProxyConfig, UpstreamBroke


def on_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (then no token is needed)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name: it may resolve to anything
        return False


def new_token() -> str:
    return secrets.token_urlsafe(24)


class _OneLine(logging.Filter):
    """An upstream that broke off mid-answer is the upstream's failure, not the proxy's:
    one line, not uvicorn's "Exception in ASGI application" and a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, UpstreamBroke):
            record.msg, record.args, record.exc_info = "llmlog proxy: %s", (exc,), None
        return True


ONE_LINE = _OneLine()


def listen(host: str, port: int) -> socket.socket:
    """The listening socket (port 0: a free one); OSError when it cannot be had.

    Made with protocol ``IPPROTO_TCP`` named: asyncio switches Nagle's algorithm off
    (``TCP_NODELAY``) only on sockets that say so, and with it on, the second write of an
    answer (its body after its headers) waited ~40 ms for the client's delayed ACK."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def server(config: ProxyConfig) -> uvicorn.Server:
    """A uvicorn server for the proxy (not started: ``run(sockets=[listen(...)])``)."""
    logging.getLogger("uvicorn.error").addFilter(ONE_LINE)  # (once: the same filter)
    settings = uvicorn.Config(
        Proxy(config),
        lifespan="on",
        proxy_headers=False,  # the clients' own addresses are not read (nor rewritten)
        access_log=False,
        log_level="warning",
        server_header=False,  # the upstream's own headers go through
        date_header=False,
        timeout_graceful_shutdown=30,
        # Longer than clients keep an idle connection (httpx: 5 s, Node: 4-5 s), so that a
        # client never sends on a connection the proxy is closing (uvicorn's default: 5 s).
        timeout_keep_alive=75,
    )
    return uvicorn.Server(settings)


def address(sock: socket.socket) -> str:
    """The URL a listening socket is reached at."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextlib.contextmanager
def serving(config: ProxyConfig, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """The proxy running in a thread of this process, until the block ends; yields its
    URL (port 0: a free port)."""
    sock = listen(host, port)
    found = server(config)
    thread = threading.Thread(
        target=found.run, kwargs={"sockets": [sock]}, name="llmlog-proxy", daemon=True
    )
    thread.start()
    while not found.started:
        if not thread.is_alive():
            raise RuntimeError("llmlog proxy did not start")
        time.sleep(0.01)
    try:
        yield address(sock)
    finally:
        found.should_exit = True
        thread.join(60)
        sock.close()
