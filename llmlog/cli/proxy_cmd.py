"""``llmlog proxy``: serve the capturing proxy in the foreground until interrupted."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

import typer

from llmlog.cli import common
from llmlog.cli.help import CAPTURE, adder
from llmlog.cli.output import message
from llmlog.errors import UsageError

EXTRA_HINT = "pip install 'llmlog[proxy]' (uvicorn, httptools)"


def _opt(name: str, help_text: str, **extra: object) -> typer.models.OptionInfo:
    return typer.Option(name, help=help_text, **extra)  # type: ignore[arg-type]


def proxy(
    host: Annotated[str, _opt("--host", "Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, _opt("--port", "Port to listen on (0: any free one).", min=0, max=65535)
    ] = 8178,
    openai_upstream: Annotated[
        str, _opt("--openai-upstream", "Base URL of the OpenAI API or any compatible one.")
    ] = "https://api.openai.com/v1",
    anthropic_upstream: Annotated[
        str, _opt("--anthropic-upstream", "Base URL of the Anthropic API.")
    ] = "https://api.anthropic.com",
    feature: Annotated[
        str | None,
        _opt(
            "--feature", "Feature of calls that send no llmlog-feature header.", show_default=False
        ),
    ] = None,
    token: Annotated[
        str | None,
        _opt(
            "--token",
            "Token clients must send as header llmlog-token (off loopback one is made "
            "and printed when not given).",
            envvar="LLMLOG_PROXY_TOKEN",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float, _opt("--timeout", "Seconds to wait for the upstream (504 after).", min=0.001)
    ] = 600.0,
) -> None:
    """Serve an OpenAI/Anthropic-compatible proxy that captures every call it forwards.

    Point applications in any language at it (OPENAI_BASE_URL=http://127.0.0.1:8178/v1,
    ANTHROPIC_BASE_URL=http://127.0.0.1:8178); llmlog-* request headers give the context
    (llmlog-tenant-id, llmlog-user-id, llmlog-feature, llmlog-session-id,
    llmlog-prompt-version, llmlog-trace-id, llmlog-parent-id, llmlog-metadata-KEY), and
    each answer names its call's id in llmlog-call-id. Stops on Ctrl-C or SIGTERM, after
    the calls in flight, with every captured call stored or spooled.

    Example: llmlog proxy --feature support-bot --openai-upstream https://openrouter.ai/api/v1
    """
    try:
        from llmlog.proxy import server
        from llmlog.proxy.app import ProxyConfig, egress_proxy
    except ImportError as exc:
        raise UsageError(f"llmlog proxy needs {exc.name}", hint=EXTRA_HINT) from None
    import llmlog
    from llmlog.store.connect import mask

    for option, url in (
        ("--openai-upstream", openai_upstream),
        ("--anthropic-upstream", anthropic_upstream),
    ):
        _check_upstream(option, url)
    if token is None and not server.on_loopback(host):
        token = server.new_token()
        print(token, flush=True)  # (the data: once, on stdout)
        message("llmlog proxy: clients must send the token above as header llmlog-token")
    url, conn = common.open_store()
    conn.close()
    llmlog.configure(database_url=url)
    try:
        sock = server.listen(host, port)
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="pick another --host or --port",
        ) from None
    config = ProxyConfig(
        openai_upstream=openai_upstream,
        anthropic_upstream=anthropic_upstream,
        feature=feature,
        token=token,
        timeout=timeout,
    )
    try:
        found = server.server(config)
    except (ImportError, ValueError) as exc:  # an egress proxy httpx2 cannot use
        raise UsageError(f"cannot forward: {exc}", hint="check HTTPS_PROXY and ALL_PROXY") from None
    at = server.address(sock)
    message(f"llmlog proxy: listening on {at} (OpenAI {at}/v1, Anthropic {at})")
    for upstream in (openai_upstream, anthropic_upstream):
        if via := egress_proxy(upstream):
            message(f"llmlog proxy: to {upstream} through {mask(via)}")
    message(f"llmlog proxy: storing into {mask(url)}")
    common.run_server(found, sockets=[sock])


def _check_upstream(option: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(
            f"{option} {url!r} is not an http(s) URL", hint="e.g. https://api.openai.com/v1"
        )


def register(app: typer.Typer) -> None:
    adder(app, CAPTURE)()(proxy)
