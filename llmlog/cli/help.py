"""How ``--help`` looks: commands and options grouped in panels, as plain text.

Typer draws its panels with Rich, which costs more than the rest of ``llmlog --help``
(bench/startup.py). These classes write the same panels (each command's and option's
``rich_help_panel``) with Click's plain formatter instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
import typer.core

# The groups of `llmlog --help`, in order (README "Commands" follows the same order).
STORE = "Store"
REPORTS = "Reports"
CAPTURE = "Capture"
ACT = "Act on the data"
PANELS = (STORE, REPORTS, CAPTURE, ACT)
_COL_MAX = 30  # Click's: a longer name puts its help on the next line


def _write_panels(formatter: Any, panels: dict[str, list[tuple[str, str]]]) -> None:
    """One section per panel; the first column lines up across sections."""
    names = (len(name) for rows in panels.values() for name, _ in rows)
    width = min(max(names, default=0), _COL_MAX)
    for title, rows in panels.items():
        if rows:
            with formatter.section(title):
                formatter.write_dl([(name.ljust(width), text) for name, text in rows], _COL_MAX)


class PanelGroup(typer.core.TyperGroup):
    """A command group whose help lists its commands under their panels."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        listed = [(name, self.get_command(ctx, name)) for name in self.list_commands(ctx)]
        shown = [(name, cmd) for name, cmd in listed if cmd is not None and not cmd.hidden]
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in shown)
        panels: dict[str, list[tuple[str, str]]] = {panel: [] for panel in PANELS}
        for name, cmd in shown:
            panel = getattr(cmd, "rich_help_panel", None) or "Commands"
            panels.setdefault(panel, []).append((name, cmd.get_short_help_str(limit)))
        _write_panels(formatter, panels)


class PanelCommand(typer.core.TyperCommand):
    """A command whose help lists its options under their panels (e.g. "Filters")."""

    def format_options(self, ctx: Any, formatter: Any) -> None:
        panels: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:
                kind = "Arguments" if param.param_type_name == "argument" else "Options"
                panel = getattr(param, "rich_help_panel", None) or kind
                panels.setdefault(panel, []).append(record)
        _write_panels(formatter, panels)


def adder(app: typer.Typer, panel: str) -> Callable[..., Callable[..., Any]]:
    """``add(name=None)(function)``: a command of ``app`` listed under ``panel``."""

    def add(name: str | None = None) -> Callable[..., Any]:
        return app.command(name, cls=PanelCommand, rich_help_panel=panel)

    return add
