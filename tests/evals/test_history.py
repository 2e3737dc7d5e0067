"""Each export is recorded: --new-only skips the calls an earlier one wrote, --history
lists the runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from llmlog.store.records import Record
from tests.evals.conftest import names

ERRORS = {"error", "slow_error", *(f"noisy{n}" for n in range(1, 6))}


def chosen(evals: dict[str, Record], out: str) -> set[str]:
    return set(names(evals, [json.loads(line) for line in out.splitlines()]))


def test_new_only_skips_what_an_earlier_export_wrote(evals: dict[str, Record], llmlog: Any) -> None:
    first = llmlog("sample-evals", "--why", "error", "-n", "3", "--seed", "5", "--new-only")
    second = llmlog("sample-evals", "--why", "error", "-n", "3", "--seed", "5", "--new-only")
    third = llmlog("sample-evals", "--why", "error", "-n", "3", "--seed", "5", "--new-only")
    sets = [chosen(evals, run.out) for run in (first, second, third)]
    assert [len(s) for s in sets] == [3, 3, 1]
    assert sets[0] | sets[1] | sets[2] == ERRORS
    last = llmlog("sample-evals", "--why", "error", "--new-only")
    assert last.code == 0 and last.out == "" and "without --new-only" in last.err
    assert (
        chosen(evals, llmlog("sample-evals", "--why", "error", "-n", "3", "--seed", "5").out)
        == sets[0]
    )


def test_history_lists_each_export_with_its_options(
    evals: dict[str, Record], llmlog: Any, tmp_path: Path
) -> None:
    assert "no exports yet" in llmlog("sample-evals", "--history").err
    target = tmp_path / "e.jsonl"
    llmlog("sample-evals", "--why", "error", "--seed", "9", "--feature", "noisy", "-o", str(target))
    llmlog("sample-evals", "--why", "refusal", "-f", "inspect", "--seed", "2")
    llmlog("sample-evals", "--feature", "nope")  # nothing exported: nothing recorded
    runs = [json.loads(line) for line in llmlog("sample-evals", "--history").out.splitlines()]
    assert [(r["format"], r["calls"], r["output"]) for r in runs] == [
        ("inspect", 2, None),
        ("llmlog", 5, str(target.resolve())),
    ]
    options = runs[1]["options"]
    assert options["why"] == ["error"] and options["seed"] == 9
    assert options["feature"] == "noisy" and options["new_only"] is False
