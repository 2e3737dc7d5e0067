"""Hand-built calls whose right answers the report tests know, and a way to run the CLI."""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from llmlog.ids import new_id, ts_of
from llmlog.store.batch import BatchWriter
from llmlog.store.records import Record

NOW = datetime.now(UTC)


def call(at: datetime, **fields: Any) -> Record:
    """A call record at ``at``; its id is a UUIDv7 of that time, its trace its own id."""
    call_id = fields.pop("id", None) or new_id(at)
    record: Record = {
        "id": call_id,
        "ts": ts_of(call_id),
        "trace_id": str(call_id),
        "provider": "openai",
        "endpoint": "chat.completions",
        "status": "ok",
        "finish_reason": "stop",
    }
    record.update(fields)
    model = record.get("model") or "gpt-4o-mini"
    record.setdefault("model", model)
    record.setdefault(
        "request",
        {
            "model": model,
            "messages": [
                {"role": "system", "content": record.get("system_prompt") or "Be brief."},
                {"role": "user", "content": record.pop("question", "Hello?")},
            ],
        },
    )
    return record


def base_calls() -> dict[str, Record]:
    """The fixture set; the tests assert values computed by hand from these."""
    hour = timedelta(hours=1)
    chat = {"feature": "chat", "tenant_id": "acme"}
    return {
        "a": call(
            NOW - 1 * hour, **chat, user_id="u1", latency_ms=100.0, ttft_ms=20.0,
            cost_usd=Decimal("0.001"), input_tokens=100, output_tokens=10,
            system_prompt="You are a geography tutor.",
            question="What is the capital of France?",
            output_text="Paris is the capital of France.\nAnything else?",
            response={"id": "r-a", "model": "gpt-4o-mini", "choices": []},
            feedback=-1, feedback_note="too short",
        ),
        "b": call(
            NOW - 2 * hour, **chat, user_id="u2", latency_ms=200.0, ttft_ms=40.0,
            cost_usd=Decimal("0.002"), input_tokens=200, output_tokens=20, output_text="Berlin",
        ),
        "c": call(
            NOW - 3 * hour, feature="chat", tenant_id="globex", user_id="u1", model="gpt-4o",
            latency_ms=300.0, ttft_ms=60.0, cost_usd=Decimal("0.010"), input_tokens=300,
            output_tokens=30, output_text="Rome",
        ),
        "d": call(
            NOW - 4 * hour, feature="summarize", tenant_id="globex", user_id="u3",
            provider="anthropic", endpoint="messages", model="claude-haiku", latency_ms=400.0,
            cost_usd=Decimal("0.004"), input_tokens=400, output_tokens=0, status="error",
            finish_reason="error", error_type="rate_limit", http_status=429,
            error_message="rate limited, retry later",
        ),
        "e": call(
            NOW - 5 * hour, feature="summarize", tenant_id="globex", user_id="u3",
            provider="anthropic", endpoint="messages", model="claude-haiku", latency_ms=1000.0,
            ttft_ms=100.0, cost_usd=Decimal("0.006"), input_tokens=500, output_tokens=50,
            prompt_version="v2", output_text="A long essay.",
            tool_calls=[{"id": "t1", "name": "lookup", "arguments": '{"city": "Zurich"}'}],
        ),
        "old": call(
            NOW - timedelta(days=3), **chat, user_id="u1", latency_ms=500.0,
            cost_usd=Decimal("0.100"), input_tokens=1000, output_tokens=100,
            output_text="Zurich weather report",
        ),
        "older": call(
            NOW - timedelta(days=10), **chat, user_id="u2", latency_ms=50.0,
            cost_usd=Decimal("1.000"), input_tokens=10, output_tokens=0, status="error",
            finish_reason="error", error_type="timeout",
        ),
    }  # fmt: skip


@pytest.fixture
def calls(store: psycopg.Connection) -> dict[str, Record]:
    """The base calls, written to the test's store."""
    records = base_calls()
    BatchWriter(store).write(list(records.values()))
    return records


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str, *args: str
) -> Result:
    """``llmlog --db URL ARGS…`` in-process through ``main()``: exit code and outputs."""
    from llmlog.cli.app import main

    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["llmlog", "--db", url, *args])
    code: Any = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code or 0
    captured = capsys.readouterr()
    return Result(int(code), captured.out, captured.err)


@pytest.fixture
def llmlog(
    store_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """Run ``llmlog --db STORE ARGS…`` in-process (``run_cli``)."""
    yield functools.partial(run_cli, capsys, monkeypatch, store_url)
