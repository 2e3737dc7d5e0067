"""Keeping a short command's start short: only the command being run is built.

Typer turns every registered function into a click command each time the program starts
(~8 ms of CPU for all of llmlog's, more as commands are added); running one command needs
only that one. ``llmlog --help`` and anything this does not recognise still build them all.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import typer

_VALUED = ("--db",)  # the main callback's options that take a value


@contextlib.contextmanager
def only_the_command_run(app: typer.Typer, args: Sequence[str]) -> Iterator[None]:
    """Within: ``app`` holds only the command ``args`` (argv without the program) runs."""
    saved = app.registered_commands, app.registered_groups
    at = command_at(args)
    name = args[at] if at is not None else None
    chosen = [info for info in app.registered_commands if _name_of(info) == name]
    if chosen:
        app.registered_commands, app.registered_groups = chosen, []
    try:
        yield
    finally:
        app.registered_commands, app.registered_groups = saved


def command_at(args: Sequence[str]) -> int | None:
    """Where the command's name is in ``args`` (argv without the program), if anywhere."""
    skip = False
    for at, arg in enumerate(args):
        if skip:
            skip = False
        elif arg in _VALUED:
            skip = True
        elif arg.startswith(tuple(f"{option}=" for option in _VALUED)):
            continue
        elif arg.startswith("-"):
            return None  # --help or --version before any command, or an option we do not know
        else:
            return at
    return None


def _name_of(info: typer.models.CommandInfo) -> str | None:
    if info.name:
        return info.name
    callback = info.callback
    return callback.__name__.lower().replace("_", "-") if callback else None
