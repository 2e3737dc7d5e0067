"""Losses are counted and said: a bad record from a redact hook, a bad LLMLOG_* value."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

import llmlog
from llmlog import settings
from llmlog.capture import writer
from tests.capture.conftest import openai_client, rows
from tests.capture.test_endpoints import KINDS, call
from tests.cli.run import llmlog as run_llmlog
from tests.stub_provider import StubServer

MSG = [{"role": "user", "content": "hi"}]


def spoil_second(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    """A redact hook that changes only the second call it sees."""
    seen: list[int] = []

    def hook(record: dict[str, Any]) -> dict[str, Any]:
        seen.append(1)
        return change(record) if len(seen) == 2 else record

    return hook


def rejected_lines(spool: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in (spool / "rejects").glob("*.jsonl")
        for line in path.read_text().splitlines()
    ]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda r: {**r, "input_tokens": "abc"}, "input_tokens"),
        (lambda r: {k: v for k, v in r.items() if k != "ts"}, "ts"),
        (lambda r: {k: v for k, v in r.items() if k != "id"}, "id"),
        (lambda r: {**r, "provider": None}, "provider"),
        (lambda r: {**r, "metadata": {"x": object()}}, "cannot serialise"),
        (lambda r: {**r, "http_status": 10**6}, "http_status"),
    ],
    ids=["wrong-type", "no-ts", "no-id", "null-provider", "unserialisable", "out-of-range"],
)
def test_a_bad_record_from_a_redact_hook_is_dropped_alone_and_counted(
    store_url: str,
    store: psycopg.Connection,
    tmp_path: Path,
    stub: StubServer,
    change: Callable[[dict[str, Any]], dict[str, Any]],
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    spool = tmp_path / "spool"
    settings.reset()
    llmlog.configure(
        database_url=store_url, spool_dir=spool, flush_interval=30, redact=spoil_second(change)
    )
    try:
        client = llmlog.wrap(openai_client(stub))
        for _ in range(3):  # one batch: the writer wakes only on flush
            client.chat.completions.create(model="gpt-4o-mini", messages=MSG)
        with caplog.at_level(logging.WARNING, logger="llmlog"):
            assert llmlog.flush(10) is True
        stats = llmlog.stats()
        assert len(rows(store)) == 2
    finally:
        writer.shutdown()
        settings.reset()
    assert stats | {"store_up": True} == {
        "made": 3, "stored": 2, "spooled": 0, "dropped": 1, "rejected": 1, "queued": 0,
        "store_up": True, "uncaptured": 0, "config_error": None,
    }  # fmt: skip
    assert stats["store_up"] is True
    assert reason in caplog.text
    assert len(rejected_lines(spool)) == 1  # kept for a person to look at


def test_an_invalid_setting_is_said_once_and_counted(
    store_url: str,
    tmp_path: Path,
    stub: StubServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.reset()
    writer.shutdown()
    monkeypatch.setenv("LLMLOG_DATABASE_URL", store_url)
    monkeypatch.setenv("LLMLOG_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("LLMLOG_BATCH_SIZE", "lots")
    try:
        client = llmlog.wrap(openai_client(stub))
        with caplog.at_level(logging.WARNING, logger="llmlog"):
            for _ in range(3):
                client.chat.completions.create(model="gpt-4o-mini", messages=MSG)
        stats = llmlog.stats()
    finally:
        writer.shutdown()
        settings.reset()
    warnings = [r for r in caplog.records if "LLMLOG_BATCH_SIZE" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert "not captured" in warnings[0].getMessage()
    assert (stats["made"], stats["uncaptured"], stats["config_error"]) == (
        0,
        3,
        warnings[0].getMessage().removeprefix("llmlog: "),
    )


def test_status_says_when_a_setting_is_invalid(store_url: str) -> None:
    result = run_llmlog(
        "--db", store_url, "status", "--format", "json", env={"LLMLOG_QUEUE_SIZE": "-5"}
    )
    assert result.code == 0, result.stderr
    info = json.loads(result.stdout)
    assert "queue_size" in info["capture_config_error"]
    table = run_llmlog("--db", store_url, "status", env={"LLMLOG_QUEUE_SIZE": "-5"})
    assert "capture_config_error" in table.stdout


def test_every_record_llmlog_builds_passes_the_check_a_hooks_output_gets(
    store_url: str, store: psycopg.Connection, tmp_path: Path, stub: StubServer
) -> None:
    """A hook that hands the record back unchanged loses nothing, whatever the call."""
    import openai

    settings.reset()
    llmlog.configure(database_url=store_url, spool_dir=tmp_path, redact=lambda r: r)
    try:
        for kind in KINDS:
            call(stub, kind, asynchronous=False, text="use a tool")
        with pytest.raises(openai.RateLimitError):
            call(stub, "chat.create", asynchronous=False, text="error429")
        found = rows(store)
        stats = llmlog.stats()
    finally:
        writer.shutdown()
        settings.reset()
    assert len(found) == len(KINDS) + 1
    assert (stats["stored"], stats["dropped"]) == (len(KINDS) + 1, 0)


def test_feedback_under_an_invalid_setting_does_not_raise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.reset()
    writer.shutdown()
    monkeypatch.setenv("LLMLOG_FLUSH_INTERVAL", "soon")
    try:
        llmlog.feedback("0190b3c2-0000-7000-8000-000000000000", "up")
        assert "LLMLOG_FLUSH_INTERVAL" in llmlog.stats()["config_error"]
    finally:
        settings.reset()


def test_the_record_check_names_the_field_and_what_is_wrong() -> None:
    from datetime import datetime, timedelta
    from decimal import Decimal

    from llmlog.ids import new_id, ts_of
    from llmlog.store.records import problem

    call_id = new_id()
    good = {"id": call_id, "ts": ts_of(call_id), "trace_id": str(call_id), "provider": "openai",
            "endpoint": "responses", "input_tokens": 5, "latency_ms": 1, "cost_usd": Decimal(1),
            "streamed": True, "tool_calls": [], "metadata": {}}  # fmt: skip
    assert problem(good) is None
    cases = {
        "input_tokens: true is not a whole number": {"input_tokens": True},
        "input_tokens: 2147483648 is out of range": {"input_tokens": 2**31},
        "feedback: 2 is out of range": {"feedback": 2},
        "latency_ms: NaN is not a finite number": {"latency_ms": float("nan")},
        "ts has no time zone": {"ts": datetime(2026, 1, 1)},
        "ts ": {"ts": ts_of(call_id) + timedelta(seconds=1)},  # not the id's time
        'parent_id: "x" is not a UUID': {"parent_id": "x"},
        "streamed: 1 is not true or false": {"streamed": 1},
        "metadata: [] is not a JSON object": {"metadata": []},
        "cost_usd: ": {"cost_usd": Decimal("1e10")},
        "model: 4 is not a string": {"model": 4},
        "missing field(s): endpoint": {"endpoint": ""},
        "unknown field(s): colour": {"colour": "red"},
    }
    for reason, change in cases.items():
        found = problem({**good, **change})
        assert found is not None and found.startswith(reason), (change, found)
    assert problem(None) == "not a record but a NoneType"
