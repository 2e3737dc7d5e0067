"""``llmlog ui``: serve the local web app over the configured store."""

from __future__ import annotations

from typing import Annotated

import typer

from llmlog.cli import common
from llmlog.cli.help import ACT, adder
from llmlog.errors import UsageError

_EXTRA_HINT = "pip install 'llmlog[ui]'"


def ui(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (off loopback: a token is needed).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port.")] = 8177,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the UI in the default browser.")
    ] = False,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            help="Require this token (default off loopback: one is generated and printed).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the calls, a call with replay and diff, and the cost, latency and quality
    dashboards in the browser (Ctrl-C stops).

    Example: llmlog ui --open
    """
    try:
        import jinja2  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn
    except ImportError:
        raise UsageError("the ui extra is not installed", hint=_EXTRA_HINT) from None
    from llmlog.ui.serve import prepare, refuse_taken

    refuse_taken(host, port)
    app, url = prepare(db=common.state.db, host=host, port=port, token=token)
    print(url, flush=True)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    common.run_server(
        uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    )


def register(app: typer.Typer) -> None:
    adder(app, ACT)()(ui)
