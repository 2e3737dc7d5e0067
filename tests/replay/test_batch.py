"""Replaying many calls: by filters or ids on stdin, the estimate and --yes, the summary,
--fail-on-change, a failed call among good ones, and Ctrl-C."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from tests.capture.conftest import rows
from tests.cli.run import assert_one_line_error, llmlog
from tests.replay.conftest import Made
from tests.reports.test_calls import ctrl_c_not_ignored, stopped_by_ctrl_c
from tests.stub_provider import StubServer

HI = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


def run(store_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmlog", "--db", store_url, "replay", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )


def test_replaying_a_feature_sends_each_call_once_and_summarises(
    made: Made, store_url: str, store: psycopg.Connection, provider_env: StubServer
) -> None:
    support = [made(**HI) for _ in range(3)]
    made(feature="other", **HI)
    result = run(store_url, "--feature", "support", "--model", "gpt-4.1", "--yes", "-f", "json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["planned"], summary["identical"], summary["changed"]) == (3, 3, 0)
    assert "3 replays to send; estimated cost $" in result.stderr
    assert sorted(b["model"] for _, _, b in provider_env.requests) == ["gpt-4.1"] * 3
    linked = {r["replay_of"] for r in rows(store, "replay_of IS NOT NULL")}
    assert linked == {c["id"] for c in support}


def test_ids_on_stdin_as_tail_writes_them_and_fail_on_change(
    made: Made, store_url: str, tmp_path: Path
) -> None:
    calls = [made(**HI) for _ in range(2)]
    tail = llmlog("--db", store_url, "tail", "--format", "jsonl").stdout
    essay = tmp_path / "p.txt"
    essay.write_text("write an essay")
    args = ["-", "--prompt-file", str(essay), "--yes", "--no-save", "-f", "json"]
    failing = run(store_url, *args, "--fail-on-change", "50", stdin=tail)
    assert failing.returncode == 1, failing.stderr
    summary = json.loads(failing.stdout)
    assert (summary["changed"], summary["changed_pct"]) == (2, 100.0)
    assert {m["id"] for m in summary["most_changed"]} == {str(c["id"]) for c in calls}
    plain_ids = "\n".join(str(c["id"]) for c in calls) + "\n"
    passing = run(store_url, *args, "--fail-on-change", "100", stdin=plain_ids)
    assert passing.returncode == 0, passing.stderr


def test_many_replays_off_a_terminal_need_yes_and_send_nothing_without(
    made: Made, store_url: str, provider_env: StubServer
) -> None:
    made(**HI)
    result = run(store_url, "--feature", "support", "--model", "gpt-4.1")
    assert result.returncode == 2
    assert "not sending 1 replays without --yes" in result.stderr
    assert provider_env.requests == []
    dry = run(store_url, "--feature", "support", "--model", "gpt-4.1", "--dry-run")
    assert dry.returncode == 0 and "1 replays to send" in dry.stderr
    assert provider_env.requests == []


def test_a_call_that_cannot_be_replayed_fails_alone(made: Made, store_url: str) -> None:
    made(**HI)
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    dangling = made(model="gpt-4o-mini", messages=[{"role": "assistant", "tool_calls": [call]}])
    result = run(store_url, "--feature", "support", "--yes", "--no-save", "-f", "json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["identical"], summary["failed"]) == (1, 1)
    (failure,) = summary["failures"]
    assert failure["id"] == str(dangling["id"]) and "has no result" in failure["error"]


def test_filters_and_an_id_together_are_a_usage_error(made: Made, store_url: str) -> None:
    original = made(**HI)
    result = llmlog("--db", store_url, "replay", str(original["id"]), "--feature", "support")
    assert_one_line_error(result, 2, "give one ID, - to read ids from stdin, or filters")


def test_ctrl_c_stops_sending_and_summarises_what_finished(
    made: Made, store_url: str, store: psycopg.Connection, provider_env: StubServer
) -> None:
    for _ in range(20):
        made(**HI)
    provider_env.delay = 0.5
    try:
        with ctrl_c_not_ignored():
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "llmlog",
                    "--db",
                    store_url,
                    "replay",
                    "--feature",
                    "support",
                    "--yes",
                    "--concurrency",
                    "2",
                    "-f",
                    "json",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
            )
            deadline = time.monotonic() + 30
            while len(provider_env.requests) < 4 and time.monotonic() < deadline:
                time.sleep(0.05)  # (Ctrl-C once replays are under way)
            code = stopped_by_ctrl_c(proc)
        out, err = proc.communicate(timeout=10)
    finally:
        provider_env.delay = 0.0
    assert code == 130, err
    summary = json.loads(out)
    assert summary["interrupted"] and 0 < summary["finished"] < 20
    stored = rows(store, "replay_of IS NOT NULL AND status = 'ok'")
    assert len(stored) == summary["identical"] + summary["changed"] == summary["finished"]
