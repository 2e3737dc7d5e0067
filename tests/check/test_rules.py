"""Rule files: what a good one holds, and a wrong one named by its line (exit 2)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from llmlog.check.rules import RuleFileError, defaults, parse, parse_duration
from tests.cli.run import assert_one_line_error, llmlog


def test_the_bundled_rules_are_the_seeds_alerts_with_their_thresholds() -> None:
    got = {r.name: (r.metric, r.scope, r.threshold, r.window) for r in defaults()}
    ten = timedelta(minutes=10)
    assert got == {
        "judge-score-drop": ("score_drop_wow", "feature", 5.0, ten),
        "feature-over-budget": ("cost_per_day", "feature", 2.0, ten),
        "tenant-spend-spike": ("spend_sigma", "tenant", 3.0, ten),
        "p95-ttft": ("p95_ttft_ms", "all", 800.0, ten),
        "p95-latency": ("p95_latency_ms", "all", 5000.0, ten),
    }


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("10m", 600), ("10 minutes", 600), ("1 minute", 60), ("2h", 7200), ("7d", 604800),
     ("1w", 604800), ("30s", 30)],
)  # fmt: skip
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


GOOD = '[[rule]]\nname = "a"\nmetric = "calls"\nthreshold = 1\n'


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (GOOD + 'window = "ten minutes"\n', 5, "not a duration"),
        (GOOD + 'colour = "red"\n', 5, "unknown key 'colour'"),
        (GOOD.replace('"calls"', '"p42_ms"'), 3, "metric 'p42_ms'"),
        (GOOD + '\n[[rule]]\nname = "b"\nmetric = "calls"\n', 6, "no threshold"),
        (GOOD + GOOD, 6, "a second rule named 'a'"),
        (GOOD + 'scope = "user"\n', 5, "scope 'user'"),
        (GOOD + 'op = "!="\n', 5, "op '!='"),
        (GOOD.replace('"calls"', '"cost_per_day"'), 3, "needs budget"),
        (GOOD + "budget = 3\n", 5, "budget and budgets are for"),
        ("[[rule]\nname = 1\n", 1, "at line 1"),
        ("threshold = 3\n", 1, "unknown key 'threshold'"),
    ],
)
def test_a_wrong_rule_file_names_the_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(RuleFileError) as caught:
        parse(text, "checks.toml")
    message = caught.value.message
    assert fragment in message
    assert f"line {line}" in message, message


def test_a_wrong_rule_file_exits_2_in_one_line(
    store_url: str, tmp_path: Path, isolated_env: Path
) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text(GOOD + "min_calls = 0\n")
    result = llmlog("--db", store_url, "check", "--rules", str(bad))
    assert_one_line_error(result, 2, f"{bad}, line 5", "min_calls")
    (isolated_env / "checks.toml").write_text("[[rule]]\nname = 'x'\n")
    result = llmlog("--db", store_url, "check")
    assert_one_line_error(result, 2, "checks.toml, line 1", "metric")
    missing = llmlog("--db", store_url, "check", "--rules", str(tmp_path / "none.toml"))
    assert_one_line_error(missing, 2, "cannot read rule file")
