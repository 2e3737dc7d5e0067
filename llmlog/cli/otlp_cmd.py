"""``llmlog otlp`` (receive OpenTelemetry GenAI spans) and ``llmlog export --otlp``."""

from __future__ import annotations

import socket
from typing import Annotated

import typer

from llmlog.cli import common
from llmlog.cli.help import ACT, CAPTURE, adder
from llmlog.cli.output import message
from llmlog.cli.report_cmds import with_filters
from llmlog.errors import UsageError
from llmlog.reports.filters import Filters

TokenOpt = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="LLMLOG_OTLP_TOKEN",
        help="Require 'Authorization: Bearer TOKEN' on every export (needed off loopback).",
        show_default=False,
    ),
]


def otlp(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port.")] = 4318,
    token: TokenOpt = None,
) -> None:
    """Receive OpenTelemetry GenAI spans (OTLP/HTTP) and store each model call as a call.

    POST /v1/traces (and /v1/logs, for the older conventions' message events), protobuf or
    JSON, gzip or not. Point an instrumented application's OTLP exporter here; spans that
    are not model calls are ignored. Runs until interrupted.

    Example: llmlog otlp --port 4318  (then OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318)
    """
    from llmlog import otlp as otlp_pkg

    otlp_pkg.require("llmlog otlp")
    from llmlog import settings
    from llmlog.otlp.receiver import Receiver
    from llmlog.otlp.server import App, check_exposure, server
    from llmlog.store import connect

    check_exposure(host, token)
    url, conn = common.open_store()
    conn.close()
    listening = _listen(host, port)
    receiver = Receiver(lambda: connect.connect(url), settings.current())
    bound = listening.getsockname()[1]
    message(f"listening on http://{host}:{bound} (POST /v1/traces, /v1/logs); Ctrl-C stops")
    common.run_server(server(App(receiver, token), host, bound), sockets=[listening])


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound now, so a port in use is one line and exit 2."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except (OSError, ValueError, TypeError) as exc:  # (a host name IDNA cannot encode too)
        sock.close()
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(
            f"cannot listen on {host:.80}:{port}: {reason}", hint="choose another --host or --port"
        ) from None
    return sock


def export(
    otlp_url: Annotated[
        str,
        typer.Option(
            "--otlp",
            help="An OTLP/HTTP endpoint (base URL, or its /v1/traces): Phoenix, Langfuse, a "
            "collector, another llmlog otlp.",
            show_default=False,
        ),
    ],
    header: Annotated[
        list[str] | None,
        typer.Option(
            "--header",
            help="NAME=VALUE sent with every request (e.g. an API key); repeatable.",
            show_default=False,
        ),
    ] = None,
    *,
    filters: Filters,
) -> None:
    """Send stored calls as OpenTelemetry GenAI spans to an OTLP endpoint.

    One span per call in the GenAI semantic conventions (messages, usage, finish reasons,
    errors), protobuf, gzip, in batches of 512; llmlog otlp stores them back as they were.
    Default window 24h.

    Example: llmlog export --otlp http://127.0.0.1:6006 --since 7d --feature support-bot
    """
    from llmlog import otlp as otlp_pkg

    otlp_pkg.require("llmlog export --otlp")
    from llmlog.otlp.export import export as send
    from llmlog.otlp.export import header as parse_header
    from llmlog.otlp.export import traces_url

    headers = dict(parse_header(item) for item in header or ())
    target = traces_url(otlp_url)
    _, conn = common.open_store()
    with conn:
        sent = send(conn, filters, target, headers=headers)
    if not sent.calls:
        message("no call matched")
        return
    message(f"{sent.calls} call(s) sent to {target} in {sent.requests} request(s)")
    if sent.rejected:
        raise UsageError(
            f"{target} rejected {sent.rejected} span(s): {'; '.join(sent.reasons)[:300]}",
            hint="the other spans were taken",
        )


def register_receiver(app: typer.Typer) -> None:
    adder(app, CAPTURE)()(otlp)


def register_export(app: typer.Typer) -> None:
    adder(app, ACT)()(with_filters(export))
