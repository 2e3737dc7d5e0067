"""Which runs the store's audit records (llmlog.store.audit): the report and export
commands (those listed under Reports and Act on the data), with the arguments they were
given, except the values of options that carry call content."""

from __future__ import annotations

from collections.abc import Sequence

import typer

from llmlog.cli.help import ACT, REPORTS
from llmlog.cli.startup import command_at

# Options whose value may be call content: the audit keeps that they were given, not what.
_CONTENT_OPTIONS = ("--system",)
GIVEN = "(given)"


def command_run(ctx: typer.Context, argv: Sequence[str]) -> tuple[str, list[str]] | None:
    """``(command, its arguments)`` when the command ``ctx`` is about to run is audited."""
    name = ctx.invoked_subcommand
    command = ctx.command.get_command(ctx, name) if name else None  # type: ignore[attr-defined]
    at = command_at(argv)
    if at is None or getattr(command, "rich_help_panel", None) not in (REPORTS, ACT):
        return None
    return str(name), _without_content(argv[at + 1 :])


def _without_content(args: Sequence[str]) -> list[str]:
    kept: list[str] = []
    hide_next = False
    for arg in args:
        if hide_next:
            kept.append(GIVEN)
            hide_next = False
        elif arg in _CONTENT_OPTIONS:
            kept.append(arg)
            hide_next = True
        elif arg.startswith(tuple(f"{option}=" for option in _CONTENT_OPTIONS)):
            kept.append(f"{arg.split('=', 1)[0]}={GIVEN}")
        else:
            kept.append(arg)
    return kept
