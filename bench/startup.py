"""How long ``llmlog --help`` takes, against importing Typer and Rich, in one run.

    python bench/startup.py [--runs 21]

Each case is a fresh ``python`` process (the same interpreter as this script), run in
turn so that what else the machine does hits every case alike; the figures are the
medians over ``--runs`` runs of the wall time and of the process's CPU time (user +
system, from ``wait4``: steadier than wall time on a machine shared with other work).
The goal (issue 22) is ``llmlog --help`` at most 1.5x the baseline
``import typer, rich.console``: help should cost little more than the libraries it is
drawn with.

- baseline: ``python -c "import typer, rich.console"``
- import app: ``python -c "import llmlog.cli.app"`` (what every command pays)
- --help: ``python -m llmlog --help`` (the grouped command list)
- tail --help: ``python -m llmlog tail --help`` (a command's options in panels)
- usage error: ``python -m llmlog tail --bogus`` (one line, exit 2)

The Typer version is printed: Typer 0.29 coerces every option through pydantic, which costs
a command with options ~70 ms (README, "Performance"); compare versions in scratch venvs.
"""

from __future__ import annotations

import argparse
import importlib.metadata
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


def run_once(args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``python ARGS``.

    Bytecode is written and read (as for an installed package, whose .pyc files pip
    writes), even where PYTHONDONTWRITEBYTECODE is set: otherwise every run would
    compile llmlog's modules from source while Typer's and Rich's load compiled.
    """
    env = {**os.environ, "COLUMNS": "100"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    for args in CASES.values():  # warm the file cache and the .pyc files
        run_once(args)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in CASES}
    for _ in range(runs):
        for name, args in CASES.items():
            times[name].append(run_once(args))
    wall_base = statistics.median(wall for wall, _ in times["baseline"])
    cpu_base = statistics.median(cpu for _, cpu in times["baseline"])
    typer = importlib.metadata.version("typer")
    print(f"median of {runs} runs, {sys.executable}, typer {typer}")
    print(f"  {'':<12} {'wall':>9}  {'ratio':>6}   {'cpu':>9}  {'ratio':>6}")
    for name, samples in times.items():
        wall = statistics.median(w for w, _ in samples)
        cpu = statistics.median(c for _, c in samples)
        print(
            f"  {name:<12} {wall * 1000:6.1f} ms  {wall / wall_base:5.2f}x"
            f"   {cpu * 1000:6.1f} ms  {cpu / cpu_base:5.2f}x"
        )


if __name__ == "__main__":
    main()
