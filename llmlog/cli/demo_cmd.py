"""``llmlog demo``: fill the store with realistic traffic so every command has data."""

from __future__ import annotations

import shlex
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from llmlog.cli import common
from llmlog.cli.help import STORE, adder
from llmlog.cli.output import err, message

if TYPE_CHECKING:
    from llmlog.demo.load import Loaded


def demo(
    calls: Annotated[int, typer.Option("--calls", "-n", min=1, help="How many calls.")] = 5000,
    days: Annotated[
        float, typer.Option("--days", min=0.01, help="Spread over this many days up to now.")
    ] = 14,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same traffic.")] = 42,
    reset: Annotated[
        bool, typer.Option("--reset", help="Empty llm_calls and llm_calls_daily first.")
    ] = False,
) -> None:
    """Fill the store with realistic LLM traffic: features, tenants, traces, errors, feedback.

    Creates the store first if it has no schema. Example: llmlog demo --calls 100000 --days 30
    """
    from llmlog.demo import load

    url, conn = load.open_store(common.state.db)
    with conn:
        if reset:
            load.reset(conn)
    loaded = _load(url, calls=calls, days=days, seed=seed)
    message(
        f"stored {loaded.calls:,} demo calls over {days:g} days in {loaded.seconds:.1f} s "
        f"({loaded.rate:,.0f} calls/s). Try:"
    )
    for line in next_steps(loaded, common.state.db):
        message(f"  {line}")


def _load(url: str, *, calls: int, days: float, seed: int) -> Loaded:
    """Load, with a progress bar when stderr is a terminal."""
    from llmlog.demo import load

    if not sys.stderr.isatty():
        return load.load(url, calls=calls, days=days, seed=seed)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    columns = ("demo", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("demo", total=calls)
        return load.load(
            url,
            calls=calls,
            days=days,
            seed=seed,
            progress=lambda done: bar.update(task, completed=done),
        )


def next_steps(loaded: Loaded, db: str | None = None) -> list[str]:
    """Commands worth trying on the demo data (with the same ``--db``, never a password)."""
    from llmlog.demo.catalogue import DRIFT_FEATURE

    steps = ["status", "tail", "cost-by-feature --since 7d", "errors"]
    if loaded.example_trace:
        steps.append(f"trace {loaded.example_trace}")
    steps.append(f"drift --by prompt_version --feature {DRIFT_FEATURE}")
    prefix = "llmlog"
    if db:
        from llmlog.store.connect import mask

        prefix += f" --db {shlex.quote(db) if mask(db) == db else 'URL'}"
    return [f"{prefix} {step}" for step in steps]


def register(app: typer.Typer) -> None:
    adder(app, STORE)()(demo)
