"""`llmlog judge` against the stub provider: the draw, skipping and resuming, reading the
judge's answers, and the judge's own calls captured but never judged."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from llmlog.judge.rubric import Rubric, for_feature
from llmlog.judge.sample import parse_size
from llmlog.judge.verdict import Unreadable, read
from llmlog.store.batch import BatchWriter
from tests.cli.run import Result, assert_one_line_error, llmlog
from tests.reports.conftest import NOW, call
from tests.stub_provider import StubServer

SCORE = re.compile(r"SCORE=(\d+)")


def calls(store: psycopg.Connection, n: int, feature: str = "support", **fields: Any) -> list[Any]:
    """``n`` answered calls of the last hour; call k's question asks for SCORE=k*10 % 101."""
    records = [
        call(NOW - timedelta(minutes=50 - k % 50, seconds=k), feature=feature,
             question=f"q{k} SCORE={(k * 10) % 101}", output_text=f"answer {k}", **fields)
        for k in range(n)
    ]  # fmt: skip
    BatchWriter(store).write(records)
    return [r["id"] for r in records]


def scoring(body: dict[str, Any]) -> str:
    """The stub judge: the score the judged question asks for."""
    text = json.dumps(body)
    return json.dumps({"score": int(SCORE.search(text).group(1)), "rationale": "as asked"})


def judge(url: str, *args: str) -> Result:
    return llmlog("--db", url, "judge", "--since", "2h", "-f", "json", *args)


def scores(store: psycopg.Connection) -> dict[Any, Any]:
    rows = store.execute("SELECT call_id, status, score FROM llm_scores").fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def judged_requests(stub: StubServer) -> int:
    return sum(1 for _, _, body in stub.requests if "llmlog's judge" in json.dumps(body))


@pytest.fixture
def judging(provider_env: StubServer) -> StubServer:
    provider_env.judge = scoring
    yield provider_env
    provider_env.judge = None


def test_a_share_is_the_same_calls_for_a_seed_and_another_seed_draws_others(
    store_url: str, store: psycopg.Connection, judging: StubServer
) -> None:
    calls(store, 60)
    first = judge(store_url, "--sample", "25%", "--seed", "3", "--dry-run")
    again = judge(store_url, "--sample", "25%", "--seed", "3", "--dry-run")
    other = judge(store_url, "--sample", "25%", "--seed", "4", "--dry-run")
    assert first.code == 0, first.stderr
    drawn = re.search(r"(\d+) calls to judge", first.stderr)
    assert drawn and 5 <= int(drawn.group(1)) <= 25  # ~15 of 60
    assert first.stderr == again.stderr
    assert judged_requests(judging) == 0  # a dry run sends nothing
    assert "estimated cost $" in first.stderr
    result = judge(store_url, "--sample", "25%", "--seed", "3")
    assert result.code == 0, result.stderr
    assert len(scores(store)) == int(drawn.group(1))
    ids_seed_3 = set(scores(store))
    store.execute("DELETE FROM llm_scores")
    assert judge(store_url, "--sample", "25%", "--seed", "4").code == 0
    assert set(scores(store)) != ids_seed_3
    assert other.stderr != first.stderr or set(scores(store)) != ids_seed_3


def test_a_rerun_judges_only_what_the_last_run_left_and_scores_are_the_judges(
    store_url: str, store: psycopg.Connection, judging: StubServer
) -> None:
    made = calls(store, 12)
    part = judge(store_url, "--sample", "5", "--seed", "9")
    assert part.code == 0, part.stderr
    assert json.loads(part.stdout)["scored"] == 5
    assert judged_requests(judging) == 5
    first = set(scores(store))
    judging.requests.clear()
    # a crash after 5 of 8 is the same as a run of 5: the rerun of 8 sends only 3
    rest = judge(store_url, "--sample", "8", "--seed", "9")
    assert rest.code == 0, rest.stderr
    assert "8 drawn by --sample 8, 5 already scored" in rest.stderr
    assert judged_requests(judging) == 3
    assert first < set(scores(store))
    for call_id, (status, score) in scores(store).items():
        k = made.index(call_id)
        assert (status, score) == ("scored", (k * 10) % 101)
    judging.requests.clear()
    assert judge(store_url, "--sample", "8", "--seed", "9").code == 0
    assert judged_requests(judging) == 0


def test_an_unreadable_verdict_is_asked_again_once_then_stored_as_failed(
    store_url: str, store: psycopg.Connection, judging: StubServer
) -> None:
    calls(store, 2)
    answers = iter(["I think it is good", '{"score": 85, "rationale": "fine"}',
                    "nope", "still nope"])  # fmt: skip
    judging.judge = lambda body: next(answers)
    result = judge(store_url, "--sample", "2", "--concurrency", "1")
    assert result.code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["scored"], summary["failed"]) == (1, 1)
    rows = store.execute("SELECT status, score, error FROM llm_scores ORDER BY status").fetchall()
    assert rows[0][:2] == ("failed", None) and "unreadable" in rows[0][2]
    assert rows[1][:2] == ("scored", 85.0)
    retry = [b for _, _, b in judging.requests if len(b["messages"]) > 2]
    assert len(retry) == 2 and "not the JSON object" in retry[0]["messages"][-1]["content"]


def test_the_judges_calls_are_captured_marked_and_never_judged(
    store_url: str, store: psycopg.Connection, judging: StubServer
) -> None:
    (judged,) = calls(store, 1, tenant_id="acme", user_id="u1")
    assert judge(store_url, "--sample", "100%").code == 0
    (own,) = store.execute(
        "SELECT id, feature, tenant_id, user_id, metadata, cost_usd FROM llm_calls "
        "WHERE feature = 'llmlog.judge'"
    ).fetchall()
    assert own[1:4] == ("llmlog.judge", "acme", "u1")
    assert own[4]["llmlog_judge"]["call_id"] == str(judged)
    row = store.execute("SELECT judge_call_id, judge_cost_usd FROM llm_scores").fetchone()
    assert row == (own[0], own[5])
    judging.requests.clear()
    again = judge(store_url, "--sample", "100%")
    assert "0 calls to judge (1 drawn" in again.stderr  # the judge's own call is not drawn
    assert judged_requests(judging) == 0


def test_a_rubric_file_sets_the_scale_and_a_new_version_is_judged_again(
    store_url: str, store: psycopg.Connection, judging: StubServer, tmp_path: Path
) -> None:
    calls(store, 1)
    rubric = tmp_path / "tone.toml"
    rubric.write_text('scale = "pass/fail"\ninstructions = "Polite?"\n')
    judging.judge = lambda body: '{"verdict": "fail", "rationale": "rude"}'
    assert judge(store_url, "--sample", "1", "--rubric", str(rubric)).code == 0
    rubric.write_text('scale = "pass/fail"\ninstructions = "Polite and brief?"\n')
    assert judge(store_url, "--sample", "1", "--rubric", str(rubric)).code == 0
    rows = store.execute("SELECT rubric, score, passed FROM llm_scores").fetchall()
    assert rows == [("tone", 0.0, False), ("tone", 0.0, False)]
    rubric.write_text("scale = 7\n")
    bad = judge(store_url, "--rubric", str(rubric))
    assert_one_line_error(bad, 2, "rubric", "instructions")


def test_a_provider_error_stores_nothing_and_exits_4(
    store_url: str, store: psycopg.Connection, judging: StubServer
) -> None:
    calls(store, 1)
    result = judge(store_url, "--sample", "1", "--judge-model", "no-such-model")
    assert result.code == 4, result.stderr
    assert json.loads(result.stdout)["errors"] == 1
    assert scores(store) == {}


def test_verdicts_are_read_on_the_rubric_scale() -> None:
    hundred = Rubric("r", "x", "0-100", pass_mark=70)
    assert read('```json\n{"score": "72", "rationale": " ok "}\n```', hundred).score == 72
    assert read('Sure: {"score": 69}', hundred).passed is False
    pass_fail = Rubric("p", "x", "pass/fail")
    assert read('{"verdict": "PASS"}', pass_fail).score == 100
    for text, rubric in [
        ('{"score": 101}', hundred),
        ('{"score": true}', hundred),
        ("[80]", hundred),
        ('{"verdict": "maybe"}', pass_fail),
        ("", hundred),
    ]:
        with pytest.raises(Unreadable):
            read(text, rubric)  # fmt: skip


def test_sample_sizes_and_default_rubrics_per_feature() -> None:
    assert parse_size("1%").fraction == 0.01 and parse_size("200").count == 200
    for bad in ("0", "0%", "101%", "-3", "ten"):
        with pytest.raises(Exception, match="neither a share nor a count"):
            parse_size(bad)
    assert for_feature("support-chat").name == "support"
    assert for_feature("summarize").name == "summarize"
    assert for_feature("billing").name == "general"


def test_a_run_killed_midway_is_finished_by_the_next_without_judging_twice(
    store_url: str, store: psycopg.Connection, judging: StubServer
) -> None:
    calls(store, 6)
    judging.delay = 0.3  # each verdict takes a while: the run is killed with some stored
    argv = [sys.executable, "-m", "llmlog", "--db", store_url, "judge", "--since", "2h",
            "--sample", "6", "--concurrency", "1"]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(scores(store)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    stored = len(scores(store))
    assert 2 <= stored < 6
    judging.delay = 0.0
    judging.requests.clear()
    rerun = judge(store_url, "--sample", "6", "--concurrency", "1")
    assert rerun.code == 0, rerun.stderr
    assert f"{6 - stored} calls to judge (6 drawn by --sample 6, {stored} already" in rerun.stderr
    assert judged_requests(judging) == 6 - stored
    assert len(scores(store)) == 6


def test_a_claude_judge_is_asked_through_anthropics_sdk(
    store_url: str, store: psycopg.Connection, judging: StubServer
) -> None:
    calls(store, 1)
    result = judge(store_url, "--sample", "1", "--judge-model", "claude-haiku-4-5")
    assert result.code == 0, result.stderr
    ((path, _, body),) = [r for r in judging.requests if "llmlog's judge" in json.dumps(r[2])]
    assert path == "/v1/messages" and body["model"] == "claude-haiku-4-5"
    row = store.execute(
        "SELECT s.judge_model, s.score, c.provider FROM llm_scores s "
        "JOIN llm_calls c ON c.id = s.judge_call_id"
    ).fetchone()
    assert row == ("claude-haiku-4-5", 0.0, "anthropic")  # question 0 asks for SCORE=0
