"""The ``llmlog`` Typer app: it only wires the command groups and maps errors to exits."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Annotated, NoReturn

import typer

from llmlog.__about__ import __version__
from llmlog.cli import (
    access_cmd,
    audited,
    capture_cmds,
    check_cmd,
    common,
    demo_cmd,
    evals_cmd,
    judge_cmd,
    otlp_cmd,
    proxy_cmd,
    replay_cmd,
    report_cmds,
    retention_cmd,
    startup,
    store_cmds,
    ui_cmd,
)
from llmlog.cli.help import PanelGroup

app = typer.Typer(
    name="llmlog",
    cls=PanelGroup,
    help="Capture LLM calls into PostgreSQL, then query, replay and mine them.\n\n"
    "Example: llmlog init && llmlog demo && llmlog status",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help (llmlog.cli.help): Rich's costs more than the rest
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"llmlog {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
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
    common.state.audited = audited.command_run(ctx, sys.argv[1:])


store_cmds.register(app)
demo_cmd.register(app)
report_cmds.register(app)
judge_cmd.register_scores(app)
capture_cmds.register(app)
proxy_cmd.register(app)
otlp_cmd.register_receiver(app)
replay_cmd.register(app)
evals_cmd.register(app)
judge_cmd.register_judge(app)
check_cmd.register(app)
otlp_cmd.register_export(app)
retention_cmd.register(app)
access_cmd.register(app)
ui_cmd.register(app)


def main() -> None:
    """Entry point: run the app; map every failure to one line and an exit code."""
    from llmlog.errors import EXIT_INTERRUPTED, EXIT_STORE, EXIT_USAGE, LlmlogError

    try:
        _refuse_undecodable(sys.argv[1:])
        with startup.only_the_command_run(app, sys.argv[1:]):
            code = app(prog_name="llmlog", standalone_mode=False)
    except LlmlogError as exc:
        _fail(exc.message, exc.hint, exc.exit_code, exc)
    except typer.TyperException as exc:  # Click's usage errors: bad option, value, argument
        _usage(exc, EXIT_USAGE)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:
        if type(exc).__module__.startswith("psycopg"):
            _fail(f"the store failed: {exc}".strip(), "check the server", EXIT_STORE, exc)
        raise
    sys.exit(code if isinstance(code, int) else 0)


def _refuse_undecodable(args: list[str]) -> None:
    """Arguments that are not UTF-8 (decoded with surrogate escapes) are bad usage."""
    from llmlog.errors import UsageError

    for position, arg in enumerate(args):
        try:
            arg.encode()
        except UnicodeEncodeError:
            after = (
                f" (after {args[position - 1]})"
                if position and _is_option(args[position - 1])
                else ""
            )
            raise UsageError(
                f"argument {position + 1}{after} is not valid UTF-8",
                hint="pass text in UTF-8 (check the terminal's or the script's encoding)",
            ) from None


def _is_option(arg: str) -> bool:
    return arg.startswith("-") and arg.isascii()


def _usage(exc: typer.TyperException, code: int) -> NoReturn:
    """A Click usage error as one line, or the help when no command was given."""
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError":
        try:
            print(exc.format_message(), flush=True)
        except BrokenPipeError:  # `llmlog | head`: the reader left; say nothing more
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(code)
    text = exc.format_message().strip().rstrip(".")
    command = ctx.command_path if ctx is not None else "llmlog"
    _fail(text[:1].lower() + text[1:], f"see `{command} --help`", exc.exit_code or code, exc)


def _fail(message: str, hint: str | None, code: int, exc: BaseException) -> NoReturn:
    from llmlog.cli.output import printable

    if os.environ.get("LLMLOG_DEBUG"):
        import traceback

        print(_without_secrets("".join(traceback.format_exception(exc))), file=sys.stderr)
    line = f"llmlog: {message}" + (f" — {hint}" if hint else "")
    print(printable(_without_secrets(line.replace("\n", " "))), file=sys.stderr)
    sys.exit(code)


def _without_secrets(text: str) -> str:
    """``text`` with no password of any database URL this run could have been given."""
    from llmlog import config
    from llmlog.store.connect import scrub

    urls = [common.state.db, os.environ.get("LLMLOG_DATABASE_URL")]
    with contextlib.suppress(Exception):  # a config file that cannot be read hides no URL
        urls.append(str(config.file_settings().get("database_url") or ""))
    for url in urls:
        text = scrub(text, url or "")
    return text
