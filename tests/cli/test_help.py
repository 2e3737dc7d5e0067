"""Every command has help text with an example, sits in a group of `llmlog --help` (the
README's order), and --help / --version stay cheap."""

from __future__ import annotations

import re
from pathlib import Path

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


PANELS = ("Store", "Reports", "Capture", "Act on the data")  # README "Commands"


def groups() -> dict[str, list[str]]:
    """The top-level commands of `llmlog --help` by group, in their order."""
    found: dict[str, list[str]] = {}
    for name, command in typer.main.get_command(app).commands.items():  # type: ignore[attr-defined]
        found.setdefault(str(getattr(command, "rich_help_panel", None)), []).append(name)
    return found


def test_every_command_belongs_to_a_group_in_order() -> None:
    found = groups()
    assert set(found) <= set(PANELS), found.keys()
    assert list(found) == [panel for panel in PANELS if panel in found]
    assert found["Store"][:3] == ["init", "migrate", "status"]
    assert "server" in found["Store"] and "ingest" in found["Capture"]


def test_help_lists_the_groups_in_order() -> None:
    result = llmlog("--help")
    assert result.code == 0
    titles = [line[:-1] for line in result.stdout.splitlines() if re.fullmatch(r"\S.*:", line)]
    assert titles == ["Options", *groups()]
    for panel, names in groups().items():
        section = result.stdout.split(f"\n{panel}:\n")[1].split("\n\n")[0]
        assert [line.split()[0] for line in section.splitlines()] == names


def test_readme_lists_the_commands_in_the_same_groups_and_order() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    table = readme.split("\n## Commands\n")[1].split("\n## ")[0]
    listed = {
        row.split("|")[1].strip(): re.findall(r"`([a-z-]+)`", row.split("|")[2])
        for row in table.splitlines()
        if row.startswith("| ") and not row.startswith("| group")
    }
    assert listed == groups()
    headings = re.findall(r"^## (.+)$", readme, flags=re.MULTILINE)
    assert [h for h in headings if h in PANELS] == list(groups())
    for panel, names in groups().items():
        section = readme.split(f"\n## {panel}\n")[1].split("\n## ")[0]
        for name in names:
            assert re.search(rf"^(###|\*\*).*`llmlog {name}[ `]", section, re.MULTILINE), name


def test_command_help_groups_the_report_filters() -> None:
    result = llmlog("tail", "--help")
    options = result.stdout.split("\nOptions:\n")[1].split("\n\n")[0]
    filters = result.stdout.split("\nFilters:\n")[1]
    assert "--limit" in options and "--since" not in options
    assert "--since" in filters and "--grep" in filters


def listing(group: object) -> list[tuple[str, str | None, str]]:
    commands = group.commands.items()  # type: ignore[attr-defined]
    return [(n, getattr(c, "rich_help_panel", None), c.get_short_help_str(60)) for n, c in commands]


def test_help_lists_exactly_what_the_full_build_does_without_building_options() -> None:
    """`llmlog --help` builds each command without its options (startup): the same names,
    groups and first lines of help as the commands themselves have."""
    from llmlog.cli import startup

    full = typer.main.get_command(app)
    with startup.only_the_command_run(app, ["--help"]):
        listed = typer.main.get_command(app)
    assert listing(listed) == listing(full)
    assert len(listing(full)) >= 30
    assert all(not command.params for command in listed.commands.values())  # type: ignore[attr-defined]
