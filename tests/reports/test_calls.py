"""tail, show and trace against a real store holding hand-built calls."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from llmlog.cli import output
from llmlog.ids import new_id, prefix_range
from llmlog.store.batch import BatchWriter
from llmlog.store.records import Record
from tests.reports.conftest import NOW, call

RECENT = ["a", "b", "c", "d", "e"]  # newest first; "old" and "older" are days back


def ids(calls: dict[str, Record], *names: str) -> list[str]:
    return [str(calls[n]["id"]) for n in names]


def test_tail_newest_first_in_the_last_day(calls: dict[str, Record], llmlog: Any) -> None:
    result = llmlog("tail", "--since", "24h", "--format", "json")
    assert result.code == 0
    rows = json.loads(result.out)
    assert [r["id"] for r in rows] == ids(calls, *RECENT)
    first = rows[0]
    assert first["feature"] == "chat" and first["tenant_id"] == "acme"
    assert first["cost_usd"] == 0.001 and first["latency_ms"] == 100.0
    assert first["output_text"].startswith("Paris is the capital")


def test_tail_limit_and_widening_past_the_day(calls: dict[str, Record], llmlog: Any) -> None:
    assert [json.loads(x)["id"] for x in llmlog("tail", "-n", "2").out.splitlines()] == ids(
        calls, "a", "b"
    )
    everything = [json.loads(x)["id"] for x in llmlog("tail", "-n", "10").out.splitlines()]
    assert everything == ids(calls, *RECENT, "old", "older")


def test_tail_filters(calls: dict[str, Record], llmlog: Any) -> None:
    def tail(*args: str) -> list[str]:
        result = llmlog("tail", "--since", "30d", "--format", "jsonl", *args)
        assert result.code == 0, result.err
        return [json.loads(line)["id"] for line in result.out.splitlines()]

    assert tail("--tenant", "globex") == ids(calls, "c", "d", "e")
    assert tail("--status", "error") == ids(calls, "d", "older")
    assert tail("--feature", "summarize", "--model", "claude-haiku") == ids(calls, "d", "e")
    assert tail("--provider", "anthropic", "--prompt-version", "v2") == ids(calls, "e")
    assert tail("--user", "u1") == ids(calls, "a", "c", "old")
    assert tail("--trace", str(calls["b"]["id"])) == ids(calls, "b")
    assert tail("--since", "2h") == ids(calls, "a")
    assert tail("--until", "270m") == ids(calls, "e", "old", "older")


def test_grep_searches_prompt_messages_output_and_tool_arguments(
    calls: dict[str, Record], llmlog: Any, store: psycopg.Connection
) -> None:
    def grep(text: str) -> list[str]:
        result = llmlog("tail", "--since", "7d", "--grep", text, "--format", "jsonl")
        assert result.code == 0, result.err
        return [json.loads(line)["id"] for line in result.out.splitlines()]

    assert grep("capital france") == ids(calls, "a")  # question and output
    assert grep("geography") == ids(calls, "a")  # system prompt
    assert grep('"capital of france"') == ids(calls, "a")  # phrase
    assert grep("zurich") == ids(calls, "e", "old")  # tool arguments; a closed day
    assert grep("zurich -weather") == ids(calls, "e")
    assert grep("rome or berlin") == ids(calls, "b", "c")
    day = calls["old"]["ts"].strftime("%Y%m%d")
    indexes = {r[0] for r in store.execute("SELECT indexname FROM pg_indexes")}
    assert f"llm_calls_p{day}_text" in indexes  # the closed day got its text index


def test_every_format_parses_back(
    calls: dict[str, Record], llmlog: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    want = ids(calls, "a", "b")
    as_json = json.loads(llmlog("tail", "-n", "2", "--format", "json").out)
    as_jsonl = [
        json.loads(x) for x in llmlog("tail", "-n", "2", "--format", "jsonl").out.split("\n")[:-1]
    ]
    as_csv = list(csv.DictReader(io.StringIO(llmlog("tail", "-n", "2", "--format", "csv").out)))
    assert (
        [r["id"] for r in as_json]
        == [r["id"] for r in as_jsonl]
        == [r["id"] for r in as_csv]
        == want
    )
    assert as_csv[0]["cost_usd"] == "0.001" and as_csv[1]["input_tokens"] == "200"
    narrow = llmlog("tail", "-n", "2", "--format", "table").out  # 80 columns
    assert "$0.001" in narrow and "100 ms" in narrow and str(calls["a"]["id"])[:8] in narrow
    assert max(len(line) for line in narrow.splitlines()) <= 80
    monkeypatch.setattr(output.out, "width", 200)
    wide = llmlog("tail", "-n", "2", "--format", "table").out
    assert "Paris is the capital of France." in wide and "Anything else" not in wide


def test_empty_result_and_bad_values(calls: dict[str, Record], llmlog: Any) -> None:
    empty = llmlog("tail", "--feature", "nope")
    assert (empty.code, empty.out) == (0, "")
    assert "no calls" in empty.err
    as_json = llmlog("tail", "--feature", "nope", "-f", "json")  # still a document
    assert (as_json.code, json.loads(as_json.out)) == (0, [])
    assert llmlog("tail", "--feature", "nope", "-f", "jsonl").out == ""
    bad_time = llmlog("tail", "--since", "last tuesday")
    assert bad_time.code == 2 and "not a time" in bad_time.err
    assert llmlog("tail", "--format", "xml").code == 2
    assert llmlog("tail", "--status", "maybe").code == 2


def test_show_by_prefix_with_everything(
    calls: dict[str, Record], llmlog: Any, store: psycopg.Connection
) -> None:
    a = calls["a"]
    replay = call(NOW - timedelta(minutes=30), model="gpt-4o", replay_of=a["id"])
    BatchWriter(store).write([replay])
    result = llmlog("show", str(a["id"])[:23], "--format", "json")
    assert result.code == 0, result.err
    shown = json.loads(result.out)
    assert shown["id"] == str(a["id"])
    assert shown["request"] == a["request"] and shown["response"] == a["response"]
    assert (shown["feedback"], shown["feedback_note"]) == (-1, "too short")
    assert shown["trace"] == {
        "trace_id": str(a["id"]), "position": 1, "calls": 1, "parent_id": None, "children": []
    }  # fmt: skip
    assert [r["id"] for r in shown["replays"]] == [str(replay["id"])]
    table = llmlog("show", str(a["id"]), "-f", "table").out
    for text in ("geography tutor", "What is the capital of France?", "Paris", "too short"):
        assert text in table


def test_show_unknown_ambiguous_and_malformed_ids(
    calls: dict[str, Record], llmlog: Any, store: psycopg.Connection
) -> None:
    unknown = llmlog("show", "ffffffff")
    assert unknown.code == 1 and "no call" in unknown.err
    at = NOW - timedelta(minutes=5)
    twins = [call(at, id=new_id(at)), call(at, id=new_id(at))]
    BatchWriter(store).write(twins)
    shared = str(twins[0]["id"])[:13]  # the millisecond both ids were made in
    assert str(twins[1]["id"]).startswith(shared)
    ambiguous = llmlog("show", shared)
    assert ambiguous.code == 2 and "more than one" in ambiguous.err
    assert llmlog("show", "not-hex!").code == 2


def test_cost_breakdown_of_a_priced_call(
    store: psycopg.Connection, llmlog: Any, isolated_env: Path
) -> None:
    priced = call(
        NOW - timedelta(minutes=1), model="gpt-4o-mini", input_tokens=1000, output_tokens=100,
        cache_read_tokens=400, cost_usd=Decimal("0.00018"),
        response={"model": "gpt-4o-mini", "usage": {
            "prompt_tokens": 1000, "completion_tokens": 100,
            "prompt_tokens_details": {"cached_tokens": 400}}},
    )  # fmt: skip
    BatchWriter(store).write([priced])
    shown = json.loads(llmlog("show", str(priced["id"]), "-f", "json").out)
    parts = shown["cost_breakdown"]
    assert parts["input"]["tokens"] == 600 and parts["cache_read"]["tokens"] == 400
    assert parts["input"]["cost_usd"] == 0.00009  # 600 × $0.15/M
    assert parts["cache_read"]["cost_usd"] == 0.00003  # 400 × $0.075/M
    assert parts["output"]["cost_usd"] == 0.00006  # 100 × $0.60/M
    cached = list((isolated_env / "cache").glob("price-rates-*.json"))
    assert len(cached) == 1  # flat rates kept: the next show of this model skips genai-prices
    again = json.loads(llmlog("show", str(priced["id"]), "-f", "json").out)
    assert again["cost_breakdown"] == parts


def test_trace_tree_from_trace_id_or_any_call(store: psycopg.Connection, llmlog: Any) -> None:
    root = call(
        NOW - timedelta(minutes=10), trace_id="req-42", cost_usd=Decimal("0.01"), latency_ms=50.0
    )
    child = call(
        NOW - timedelta(minutes=9),
        trace_id="req-42",
        parent_id=root["id"],
        cost_usd=Decimal("0.02"),
        latency_ms=60.0,
    )
    grandchild = call(
        NOW - timedelta(minutes=8),
        trace_id="req-42",
        parent_id=child["id"],
        status="error",
        error_type="timeout",
        latency_ms=70.0,
    )
    BatchWriter(store).write([root, child, grandchild])
    rows = json.loads(llmlog("trace", "req-42", "--format", "json").out)
    assert [(r["id"], r["depth"]) for r in rows] == [
        (str(root["id"]), 0),
        (str(child["id"]), 1),
        (str(grandchild["id"]), 2),
    ]
    by_call = json.loads(llmlog("trace", str(grandchild["id"])[:20], "-f", "json").out)
    assert [r["id"] for r in by_call] == [r["id"] for r in rows]
    table = llmlog("trace", "req-42", "-f", "table").out
    assert "3 calls" in table and "$0.03" in table and "1 failed" in table and "timeout" in table
    missing = llmlog("trace", "req-nope")
    assert missing.code == 1


def test_follow_prints_a_call_inserted_after_it_started(
    store_url: str, store: psycopg.Connection
) -> None:
    BatchWriter(store).write([call(datetime.now(UTC), output_text="before")])
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1"}
    with ctrl_c_not_ignored():
        proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "llmlog"),
                "--db",
                store_url,
                "tail",
                "-n",
                "1",
                "--follow",
                "--format",
                "jsonl",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
    try:
        first = json.loads(proc.stdout.readline())
        assert first["output_text"] == "before"
        time.sleep(0.5)
        # ts a few seconds in the past, as a writer's batch lands (not NOW, the module's import
        # time: a long suite reaches this test more than a minute after it).
        late = call(datetime.now(UTC) - timedelta(seconds=3), output_text="after")
        BatchWriter(store).write([late])
        second = json.loads(readline_within(proc, seconds=30))
        assert second["id"] == str(late["id"]) and second["output_text"] == "after"
    finally:
        code = stopped_by_ctrl_c(proc)
    assert code == 0


REPORTS = [
    ("tail", "--since", "30d"),
    ("errors", "--since", "30d"),
    ("errors", "--list", "--since", "30d"),
    ("cost-by-feature",),
    ("cost-by-model",),
    ("top-users",),
    ("top-tenants",),
    ("latency",),
    ("drift",),
]


@pytest.mark.parametrize("args", REPORTS, ids=lambda a: " ".join(a))
def test_every_report_in_every_format(calls: dict[str, Record], llmlog: Any, args: tuple) -> None:
    as_json = json.loads(llmlog(*args, "--format", "json").out)
    assert as_json and all(isinstance(row, dict) for row in as_json)
    as_jsonl = [json.loads(line) for line in llmlog(*args, "--format", "jsonl").out.splitlines()]
    assert as_jsonl == as_json
    as_csv = list(csv.DictReader(io.StringIO(llmlog(*args, "--format", "csv").out)))
    assert [list(r) for r in as_csv] == [list(r) for r in as_json]
    assert [r[k] for r in as_csv for k in r] == [
        "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
        for r in as_json for v in r.values()
    ]  # fmt: skip
    table = llmlog(*args, "--format", "table")
    assert table.code == 0 and table.out.count("\n") >= len(as_json) + 3


def test_show_and_trace_in_every_format(calls: dict[str, Record], llmlog: Any) -> None:
    a = str(calls["a"]["id"])
    shown = json.loads(llmlog("show", a, "-f", "json").out)
    assert json.loads(llmlog("show", a, "-f", "jsonl").out) == shown
    (row,) = csv.DictReader(io.StringIO(llmlog("show", a, "-f", "csv").out))
    assert row["id"] == a and json.loads(row["request"]) == shown["request"]
    traced = json.loads(llmlog("trace", a, "-f", "json").out)
    assert [r["id"] for r in traced] == [a]
    (trace_row,) = csv.DictReader(io.StringIO(llmlog("trace", a, "-f", "csv").out))
    assert trace_row["id"] == a and trace_row["depth"] == "0"


def test_prefix_range_bounds_ids_and_times() -> None:
    call_id = new_id(datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC))
    lo, hi, lo_ts, hi_ts = prefix_range(str(call_id).replace("-", "")[:13])
    assert lo <= call_id <= hi
    assert lo_ts == hi_ts == datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
    # A short prefix is a wide range; one past year 9999 is clamped, not an error.
    assert prefix_range("f")[3] == datetime.max.replace(tzinfo=UTC)


@pytest.mark.parametrize("prefix", ["f", "00000001", "ffffffffffff"])
def test_show_of_a_prefix_no_call_has_is_not_found(
    calls: dict[str, Record], llmlog: Any, prefix: str
) -> None:
    result = llmlog("show", prefix)
    assert result.code == 1, result.err
    assert "no call with id" in result.err


@contextmanager
def ctrl_c_not_ignored() -> Iterator[None]:
    """Children started in the block get SIGINT as a terminal sends it, however the tests
    were started: a suite run in the background (``cmd &`` with no job control, nohup)
    inherits SIGINT ignored, its children too, and Python then never raises
    KeyboardInterrupt (a handler, unlike an ignored signal, is reset by exec)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def stopped_by_ctrl_c(proc: subprocess.Popen[str], seconds: float = 20) -> int:
    """The exit code after a Ctrl-C; if it does not stop in time, a failure that shows
    what every thread of it was doing (Python's faulthandler dumps them on SIGABRT)."""
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        _, stderr = proc.communicate(timeout=10)
        raise AssertionError(f"still running {seconds} s after Ctrl-C:\n{stderr}") from None


def readline_within(proc: subprocess.Popen[str], *, seconds: float) -> str:
    """The process's next stdout line, or a failure (not a hang) when none comes in time."""
    import select

    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], seconds)
    assert ready, f"no output within {seconds} s"
    return proc.stdout.readline()
