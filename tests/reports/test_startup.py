"""A command's start builds only that command, and behaves as if all were built."""

from __future__ import annotations

from typing import Any

import pytest
import typer

from llmlog.cli.app import app
from llmlog.cli.startup import only_the_command_run


def built(args: list[str]) -> set[str]:
    with only_the_command_run(app, args):
        return set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


EVERY = built([])


@pytest.mark.parametrize(
    ("args", "want"),
    [
        (["tail", "-n", "20"], {"tail"}),
        (["--db", "postgresql://x/y", "cost-by-feature", "--by", "week"], {"cost-by-feature"}),
        (["--db=postgresql://x/y", "show", "0193"], {"show"}),
        (["server", "stop"], EVERY),  # a group: left as it is
        (["--help"], EVERY),
        (["--version"], EVERY),
        (["--db", "tail"], EVERY),  # "tail" is --db's value here
        (["tial"], EVERY),  # a typo: click says what there is
        ([], EVERY),
    ],
)
def test_only_the_command_run_is_built(args: list[str], want: set[str]) -> None:
    assert built(args) == want
    assert built([]) == EVERY  # and the app is whole again afterwards


def test_every_command_is_there_without_arguments() -> None:
    assert {"tail", "show", "query", "feedback", "demo", "init", "server"} <= EVERY


def test_commands_run_one_after_another_in_one_process(calls: dict[str, Any], llmlog: Any) -> None:
    assert llmlog("tail", "-n", "1").code == 0
    assert llmlog("errors").code == 0
    unknown = llmlog("tial")
    assert unknown.code == 2 and "tial" in unknown.err
