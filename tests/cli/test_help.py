"""Every command has help text with an example, and --help / --version stay cheap."""

from __future__ import annotations

import typer

from llmlog.__about__ import __version__
from llmlog.cli.app import app
from tests.cli.run import llmlog
from tests.imports import heavy_loaded_by


def all_commands() -> dict[str, object]:
    root = typer.main.get_command(app)
    found: dict[str, object] = {}

    def walk(group: object, prefix: str) -> None:
        for name, command in getattr(group, "commands", {}).items():
            if getattr(command, "commands", None):
                walk(command, f"{prefix}{name} ")
            else:
                found[f"{prefix}{name}"] = command

    walk(root, "")
    return found


def test_every_command_has_help_with_an_example() -> None:
    commands = all_commands()
    assert {"init", "migrate", "status", "server stop"} <= commands.keys()
    missing = [name for name, cmd in commands.items() if "Example" not in (cmd.help or "")]  # type: ignore[attr-defined]
    assert missing == []


def test_version() -> None:
    result = llmlog("--version")
    assert result.code == 0
    assert result.stdout.strip() == f"llmlog {__version__}"


def test_help_does_not_import_heavy_libraries() -> None:
    assert heavy_loaded_by("from llmlog.cli.app import app") == {"typer", "rich"}
