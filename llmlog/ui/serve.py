"""What ``llmlog ui`` serves: the app over the configured store, guarded for its address."""

from __future__ import annotations

import socket
from typing import Any

from llmlog.errors import UsageError
from llmlog.ui.guard import Access, is_loopback, new_token


def prepare(*, db: str | None, host: str, port: int, token: str | None) -> tuple[Any, str]:
    """The app and the URL to open (with the token, when one is needed).

    Off loopback a token is required; without ``--token`` one is generated here and shown
    only in that URL. Replays are captured into the same store.
    """
    import llmlog
    from llmlog.store.connect import resolve_url
    from llmlog.ui.app import create_app
    from llmlog.ui.store import Store

    if token is not None and not token.strip():
        raise UsageError("--token is empty", hint="give a token, or leave --token out")
    if not is_loopback(host) and token is None:
        token = new_token()
    url = resolve_url(db)  # starts the embedded server when that is the store
    llmlog.configure(database_url=url)  # replays made from the UI are stored there
    app = create_app(Store(lambda: resolve_url(db)), Access(token=token))
    shown_host = f"[{host}]" if ":" in host else host
    address = f"http://{shown_host}:{port}/"
    return app, address + (f"?token={token}" if token else "")


def refuse_taken(host: str, port: int) -> None:
    """UsageError when nothing can listen on ``host:port`` (taken, or not this machine's)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UsageError(
            f"--host {host}: {exc.strerror}", hint="give an address of this machine"
        ) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {host}:{port}: {exc.strerror}",
                hint="choose another --port (or stop what listens there)",
            ) from None
