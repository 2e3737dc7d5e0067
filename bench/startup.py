"""How long ``llmlog --help`` takes, against importing Typer and Rich, in one run.

    python bench/startup.py [--runs 21]

Each case is a fresh ``python`` process (the same interpreter as this script), run in
turn so that what else the machine does hits every case alike; the figure is the median
wall time of ``--runs`` runs. The goal (issue 22) is ``llmlog --help`` at most 1.5x the
baseline ``import typer, rich.console``: help should cost little more than the libraries
it is drawn with.

- baseline: ``python -c "import typer, rich.console"``
- import app: ``python -c "import llmlog.cli.app"`` (what every command pays)
- --help: ``python -m llmlog --help`` (the grouped command list)
- tail --help: ``python -m llmlog tail --help`` (a command's options in panels)
- usage error: ``python -m llmlog tail --bogus`` (one line, exit 2)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

CASES = {
    "baseline": ["-c", "import typer, rich.console"],
    "import app": ["-c", "import llmlog.cli.app"],
    "--help": ["-m", "llmlog", "--help"],
    "tail --help": ["-m", "llmlog", "tail", "--help"],
    "usage error": ["-m", "llmlog", "tail", "--bogus"],
}


def run_once(args: list[str]) -> float:
    env = {**os.environ, "COLUMNS": "100"}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    for args in CASES.values():  # warm the file cache and the .pyc files
        run_once(args)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(runs):
        for name, args in CASES.items():
            times[name].append(run_once(args))
    base = statistics.median(times["baseline"])
    print(f"median of {runs} runs, {sys.executable}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"  {name:<12} {median * 1000:7.1f} ms  {median / base:5.2f}x baseline")


if __name__ == "__main__":
    main()
