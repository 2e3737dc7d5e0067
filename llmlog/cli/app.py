"""The ``llmlog`` Typer app: it only wires the command groups and maps errors to exits."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from llmlog.__about__ import __version__
from llmlog.cli import capture_cmds, common, demo_cmd, report_cmds, startup, store_cmds

app = typer.Typer(
    name="llmlog",
    help="Capture LLM calls into PostgreSQL, then query, replay and mine them.\n\n"
    "Example: llmlog init && llmlog demo && llmlog status",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"llmlog {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL (overrides LLMLOG_DATABASE_URL and config.toml).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    common.state.db = db


store_cmds.register(app)
demo_cmd.register(app)
report_cmds.register(app)
capture_cmds.register(app)


def main() -> None:
    """Entry point: run the app; map llmlog's errors to one line and an exit code."""
    from llmlog.errors import EXIT_INTERRUPTED, EXIT_STORE, LlmlogError

    try:
        with startup.only_the_command_run(app, sys.argv[1:]):
            app()
    except LlmlogError as exc:
        _fail(exc.message, exc.hint, exc.exit_code, exc)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:
        if type(exc).__module__.startswith("psycopg"):
            _fail(f"the store failed: {exc}".strip(), "check the server", EXIT_STORE, exc)
        raise


def _fail(message: str, hint: str | None, code: int, exc: BaseException) -> None:
    if os.environ.get("LLMLOG_DEBUG"):
        import traceback

        traceback.print_exception(exc)
    line = f"llmlog: {message}" + (f" — {hint}" if hint else "")
    print(line.replace("\n", " "), file=sys.stderr)
    sys.exit(code)
