"""``llmlog demo``: fill the store with realistic traffic so every command has data."""

from __future__ import annotations

import math
import shlex
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from llmlog.cli import common
from llmlog.cli.help import STORE, adder
from llmlog.cli.output import err, message
from llmlog.errors import UsageError

if TYPE_CHECKING:
    from llmlog.demo.load import Loaded

# Ten years of daily partitions, and ~40 GB of calls: past these a demo is a mistake.
MAX_DAYS = 3650
MAX_CALLS = 10_000_000


def demo(
    calls: Annotated[
        int, typer.Option("--calls", "-n", help=f"How many calls (1 to {MAX_CALLS:,}).")
    ] = 5000,
    days: Annotated[
        float,
        typer.Option("--days", help=f"Spread over this many days up to now (0.01 to {MAX_DAYS})."),
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

    check_size(calls, days)
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


def check_size(calls: int, days: float) -> None:
    """UsageError unless 1 ≤ calls ≤ MAX_CALLS and 0.01 ≤ days ≤ MAX_DAYS."""
    if not 1 <= calls <= MAX_CALLS:
        raise UsageError(f"--calls {calls} is out of range", hint=f"give 1 to {MAX_CALLS:,}")
    if not (math.isfinite(days) and 0.01 <= days <= MAX_DAYS):
        raise UsageError(f"--days {days:g} is out of range", hint=f"give 0.01 to {MAX_DAYS}")


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
