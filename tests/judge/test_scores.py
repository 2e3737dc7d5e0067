"""`llmlog scores`, scores in `show` and `sample-evals --why low_score`, on hand-made scores
whose right answers are worked out below."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

import psycopg
import pytest

from llmlog.judge import scores
from llmlog.store.batch import BatchWriter
from tests.cli.run import assert_one_line_error, llmlog
from tests.reports.conftest import call

TODAY = datetime.now(UTC).date()


def day(n: int) -> datetime:
    """Noon UTC ``n`` days ago."""
    return datetime.combine(TODAY - timedelta(days=n), time(12), UTC)


# (days ago, feature, score or None for a failed verdict)
JUDGED = [(9, "a", 60), (9, "a", 80), (3, "a", 90), (2, "a", None), (1, "a", 50), (2, "b", 40)]


@pytest.fixture
def judged(store: psycopg.Connection) -> list[dict[str, Any]]:
    made = []
    for k, (ago, feature, score) in enumerate(JUDGED):
        record = call(day(ago) + timedelta(seconds=k), feature=feature, tenant_id=f"t-{feature}",
                      question="abcdef"[k] * 3, output_text=f"answer {k}")  # fmt: skip
        BatchWriter(store).write([record])
        store.execute(
            "INSERT INTO llm_scores (call_id, call_ts, judge_model, rubric, rubric_sha256, "
            "status, score, passed, rationale, error) VALUES (%s, %s, 'judge-1', 'general', 'h', "
            "%s, %s, %s, %s, %s)",
            (record["id"], record["ts"], "failed" if score is None else "scored", score,
             None if score is None else score >= 70, None if score is None else f"r{k}",
             "unreadable twice" if score is None else None),
        )  # fmt: skip
        made.append({**record, "score": score})
    return made


def window() -> dict[str, Any]:
    return {"since": datetime.combine(TODAY - timedelta(days=7), time(0), UTC)}


def test_daily_means_counts_and_moving_averages_per_feature(
    store: psycopg.Connection, judged: list[dict[str, Any]]
) -> None:
    rows = scores.aggregate(store, window(), key="feature", by="day")
    got = [
        (r["day"], r["feature"], r["scored"], r["failed"], r["mean_score"],
         None if r["moving_avg_7d"] is None else round(r["moving_avg_7d"], 2))
        for r in rows
    ]  # fmt: skip
    d = lambda n: TODAY - timedelta(days=n)  # noqa: E731
    assert got == [
        (d(3), "a", 1, 0, 90.0, 76.67),  # the 7 days from d-9: 60, 80, 90
        (d(2), "b", 1, 0, 40.0, 40.0),
        (d(2), "a", 0, 1, None, 90.0),  # only a failed verdict that day: no mean
        (d(1), "a", 1, 0, 50.0, 70.0),  # 90 and 50
    ]


def test_the_whole_window_and_the_worst_calls(
    store: psycopg.Connection, judged: list[dict[str, Any]]
) -> None:
    (total,) = scores.aggregate(store, window(), key="none", by="total")
    assert total == {"scored": 3, "failed": 1, "mean_score": 60.0,
                     "pass_rate": pytest.approx(1 / 3), "moving_avg_7d": 60.0}  # fmt: skip
    by_tenant = scores.aggregate(store, window(), key="tenant_id", by="total")
    assert {r["tenant_id"]: r["mean_score"] for r in by_tenant} == {"t-a": 70.0, "t-b": 40.0}
    weeks = scores.aggregate(store, window(), key="none", by="week")
    assert sum(r["scored"] for r in weeks) == 3
    assert all(r["week"].weekday() == 0 for r in weeks)
    worst = scores.worst(store, window(), 2)
    assert [(r["feature"], r["score"], r["rationale"]) for r in worst] == [
        ("b", 40.0, "r5"), ("a", 50.0, "r4"),
    ]  # fmt: skip


def test_scores_command_formats_and_a_bad_grouping(
    store_url: str, judged: list[dict[str, Any]]
) -> None:
    result = llmlog("--db", store_url, "scores", "--by", "none,total", "--since", "7d", "-f",
                    "json")  # fmt: skip
    assert result.code == 0, result.stderr
    assert [r["scored"] for r in json.loads(result.stdout)] == [3]
    worst = llmlog("--db", store_url, "scores", "--worst", "1", "--since", "30d", "-f", "csv")
    assert worst.stdout.splitlines()[0].startswith("id,ts,feature")
    assert ",40.0," in worst.stdout
    assert_one_line_error(llmlog("--db", store_url, "scores", "--by", "hour"), 2, "'hour'")


def test_show_lists_a_calls_scores(store_url: str, judged: list[dict[str, Any]]) -> None:
    call_id = str(judged[4]["id"])
    shown = json.loads(llmlog("--db", store_url, "show", call_id, "-f", "json").stdout)
    assert [(s["score"], s["rubric"], s["passed"]) for s in shown["scores"]] == [
        (50.0, "general", False)
    ]
    table = llmlog("--db", store_url, "show", call_id, "-f", "table").stdout
    assert "judge score" in table and "50.0 (not passed) by judge-1, rubric general — r4" in table


def test_sample_evals_low_score_takes_calls_scored_below_the_mark(
    store_url: str, judged: list[dict[str, Any]]
) -> None:
    def picked(*args: str) -> set[str]:
        result = llmlog("--db", store_url, "sample-evals", "--since", "30d", "--seed", "1",
                        "--why", "low_score", *args)  # fmt: skip
        assert result.code == 0, result.stderr
        return {json.loads(line)["id"] for line in result.stdout.splitlines()}

    below_pass_mark = {str(judged[k]["id"]) for k in (0, 4, 5)}  # 60, 50, 40 (mark 70)
    assert picked() == below_pass_mark
    assert picked("--low-score", "45") == {str(judged[5]["id"])}
