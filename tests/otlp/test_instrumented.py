"""An application instrumented with the official OpenAI instrumentation (tests/otlp/app.py,
in a process of its own) exports with the SDK's OTLP/HTTP exporters to ``llmlog otlp``:
each call through the real openai SDK to the stub becomes one row, in the newer
conventions (``gen_ai.input.messages``) and in the older ones (``gen_ai.system``, content
in log events that arrive before or after their span), protobuf (gzip or not) or JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from llmlog import pricing
from llmlog.ids import id_time
from tests.conftest import TEMPLATE, fresh_database
from tests.otlp.app import SYSTEM
from tests.otlp.conftest import rows, serve
from tests.stub_provider import TEXT, TOOL_ARGS, StubServer

# (conventions, exporter options): the older conventions' content arrives as log events,
# here once before and once after the spans.
RUNS = {
    "latest": ({"OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental",
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_ONLY"}, []),
    "older-gzip-events-after": ({"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true"},
                                ["--gzip", "--spans-first"]),
    "older-events-before": ({"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true"}, []),
    "latest-json": ({"OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental",
                     "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_ONLY"},
                    ["--json"]),
}  # fmt: skip
SLOW_TIMERS = {"OTEL_BSP_SCHEDULE_DELAY": "60000", "OTEL_BLRP_SCHEDULE_DELAY": "60000"}


@pytest.fixture(scope="module", params=list(RUNS))
def exported(
    request: pytest.FixtureRequest, pg_admin_url: str, template_url: str, stub: StubServer
) -> Iterator[tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]]:
    """Run the application once per kind of export: (what it saw, the row) by scenario."""
    env_vars, args = RUNS[request.param]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "LLMLOG_"))}
    with fresh_database(pg_admin_url, TEMPLATE) as url, serve(url) as receiver:
        done = subprocess.run(
            [sys.executable, "-m", "tests.otlp.app", receiver.url, stub.url, *args],
            env={**env, **env_vars, **SLOW_TIMERS}, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        seen = {line["scenario"]: line for line in map(json.loads, done.stdout.splitlines())}
        with psycopg.connect(url) as conn:
            stored = rows(conn)
        yield (
            seen,
            {s: row for s in seen for row in stored if row["trace_id"] == seen[s]["trace_id"]},
        )
        assert len(stored) == len(seen), "one row per call"


def test_each_call_becomes_one_row_with_model_tokens_messages_and_output(
    exported: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    seen, stored = exported
    row = stored["question"]
    assert row["model"] == "gpt-4o-mini" and row["response_model"] == "gpt-4o-mini"
    assert row["provider"] == "openai" and row["endpoint"] == "chat.completions"
    said = seen["question"]
    assert (row["input_tokens"], row["output_tokens"]) == (
        said["input_tokens"],
        said["output_tokens"],
    )
    assert row["system_prompt"] == SYSTEM
    assert row["output_text"] == TEXT == said["output"]
    assert row["finish_reason"] == "stop" and row["status"] == "ok"
    assert row["request"]["messages"] == [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "What is the weather?"},
    ]
    assert row["request"]["temperature"] == 0.2


def test_llmlog_columns_come_from_resource_attributes_and_ids_from_the_span(
    exported: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, stored = exported
    row = stored["question"]
    assert (row["feature"], row["tenant_id"]) == ("support-bot", "acme")
    assert row["parent_id"] is None  # (its parent span is the application's, not a call)
    assert id_time(row["id"]) == row["ts"] and row["latency_ms"] > 0
    assert row["metadata"]["otel"]["service"] == "shop"


def test_cost_is_priced_as_capture_prices_it(
    exported: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, stored = exported
    row = stored["question"]
    expected = pricing.cost_usd(
        provider="openai", endpoint="chat.completions", model="gpt-4o-mini",
        response=row["response"], tokens=pricing.Tokens(input=1200, output=50), at=row["ts"],
    )  # fmt: skip
    assert row["cost_usd"] == expected and row["cost_usd"] > Decimal(0)


def test_a_tool_call_and_a_stream_are_stored_as_called(
    exported: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, stored = exported
    tool, streamed = stored["tool"], stored["stream"]
    assert tool["tool_calls"] == [
        {"id": "call_1", "name": "get_weather", "arguments": TOOL_ARGS, "run_by": "client"}
    ]
    assert tool["finish_reason"] == "tool_calls" and tool["output_text"] is None
    assert streamed["output_text"] == TEXT and streamed["input_tokens"] == 1200


def test_a_failed_call_is_an_error_row_in_capture_vocabulary(
    exported: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    seen, stored = exported
    row = stored["error"]
    assert seen["error"]["status"] == 429
    assert (row["status"], row["error_type"], row["finish_reason"]) == (
        "error",
        "rate_limit",
        "error",
    )
    assert "429" in row["error_message"] and row["cost_usd"] is None
    assert row["metadata"]["provider_error"]["type"].endswith("RateLimitError")
