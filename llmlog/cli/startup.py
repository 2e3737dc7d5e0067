"""Keeping a short command's start short: only the command being run is built.

Typer turns every registered function into a click command each time the program starts
(~8 ms of CPU for all of llmlog's with Typer 0.28, ~35 ms with 0.29, more as commands are
added); running one command needs only that one. ``llmlog --help`` needs each command's
name, group and first line of help only: it builds them without their options. Anything
this does not recognise (shell completion among them) still builds them all.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator, Sequence

import typer

_VALUED = ("--db",)  # the main callback's options that take a value
_HELP = ("--help", "-h")


@contextlib.contextmanager
def only_the_command_run(app: typer.Typer, args: Sequence[str]) -> Iterator[None]:
    """Within: ``app`` holds only the command ``args`` (argv without the program) runs."""
    saved = app.registered_commands, app.registered_groups
    at = command_at(args)
    name = args[at] if at is not None else None
    chosen = [info for info in app.registered_commands if _name_of(info) == name]
    if chosen:
        app.registered_commands, app.registered_groups = chosen, []
    elif at is None and any(arg in _HELP for arg in args):
        app.registered_commands = [_listed(info) for info in saved[0]]
        app.registered_groups = [_listed_group(info) for info in saved[1]]
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


def _listed(info: typer.models.CommandInfo) -> typer.models.CommandInfo:
    """``info`` as `llmlog --help` lists it: its name, group and help, no options."""
    return typer.models.CommandInfo(
        _name_of(info),
        cls=info.cls,
        callback=_nothing,
        help=info.help if info.help is not None else inspect.getdoc(info.callback),
        rich_help_panel=info.rich_help_panel,
        hidden=info.hidden,
    )


def _listed_group(info: typer.models.TyperInfo) -> typer.models.TyperInfo:
    """A group of commands (``access``) as `llmlog --help` lists it: without its commands."""
    group = info.typer_instance
    assert group is not None
    return typer.models.TyperInfo(
        typer.Typer(cls=group.info.cls, help=group.info.help),
        name=info.name,
        rich_help_panel=info.rich_help_panel,
    )


def _nothing() -> None:
    """What a command listed by `llmlog --help` would run: it is never run."""
