"""``llmlog export --otlp``: stored calls as GenAI spans; into ``llmlog otlp`` of a second
store they come back as the very rows that were exported."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

import llmlog
from llmlog import settings
from llmlog.capture import writer
from llmlog.otlp import export, wire
from llmlog.store.records import COLUMNS
from tests.capture.conftest import anthropic_client, openai_client
from tests.cli.run import llmlog as run_llmlog
from tests.conftest import TEMPLATE, fresh_database
from tests.otlp.conftest import rows, serve
from tests.stub_provider import StubServer

TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
]


@pytest.fixture
def captured(store_url: str, stub: StubServer, tmp_path: Path) -> Iterator[list[dict[str, Any]]]:
    """Calls captured by wrap() through the real SDKs: chat (text, tool, stream, error),
    responses, messages; nested contexts, feedback."""
    settings.reset()
    llmlog.configure(database_url=store_url, spool_dir=tmp_path / "spool", flush_interval=0.05)
    chat = llmlog.wrap(openai_client(stub), feature="support")
    claude = llmlog.wrap(anthropic_client(stub), feature="summarise")
    system = {"role": "system", "content": "Be brief."}
    with llmlog.context(tenant_id="acme", user_id="u-1", session_id="s-1", prompt_version="v3",
                        metadata={"channel": "web"}):  # fmt: skip
        chat.chat.completions.create(
            model="gpt-4o-mini", messages=[system, {"role": "user", "content": "Hi"}],
            temperature=0.3,
        )  # fmt: skip
        first = llmlog.last_call_id()
        with llmlog.context(feature="weather"):
            chat.chat.completions.create(
                model="gpt-4o-mini", tools=TOOLS,
                messages=[system, {"role": "user", "content": "Use a tool"}],
            )  # fmt: skip
        for _ in chat.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hi"}], stream=True,
            stream_options={"include_usage": True},
        ):  # fmt: skip
            pass
        chat.responses.create(model="gpt-5-mini", instructions="Be brief.", input="Hello")
        claude.messages.create(
            model="claude-haiku-4-5", max_tokens=100, system="Be brief.",
            messages=[{"role": "user", "content": "Summarise this"}],
        )  # fmt: skip
        with pytest.raises(Exception, match="429"):
            chat.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "error429"}]
            )
    assert llmlog.flush(10)
    llmlog.feedback(first, "down", note="too short")
    assert llmlog.flush(10)
    writer.shutdown()
    settings.reset()
    with psycopg.connect(store_url) as conn:
        yield rows(conn)


def test_export_into_llmlog_otlp_of_a_second_store_gives_the_same_rows(
    captured: list[dict[str, Any]], store_url: str, pg_admin_url: str, template_url: str
) -> None:
    assert len(captured) == 6 and captured[0]["feedback"] == -1
    with fresh_database(pg_admin_url, TEMPLATE) as second, serve(second) as receiver:
        done = run_llmlog("--db", store_url, "export", "--otlp", receiver.url, "--since", "1h")
        assert done.code == 0, done.stderr
        assert "6 call(s) sent" in done.stderr
        with psycopg.connect(second) as conn:
            copied = rows(conn)
    assert len(copied) == len(captured)
    for before, after in zip(captured, copied, strict=True):
        assert after["latency_ms"] == pytest.approx(before["latency_ms"], abs=1e-6)
        same = [c for c in COLUMNS if c != "latency_ms"]
        assert {c: after[c] for c in same} == {c: before[c] for c in same}


def test_exported_spans_speak_the_newer_genai_conventions(
    captured: list[dict[str, Any]],
) -> None:
    spans = [export.span_of(call) for call in captured]
    said = [wire.values(span.attributes) for span in spans]
    first, tool, _, responses, claude, failed = said
    assert first["gen_ai.operation.name"] == "chat" and first["gen_ai.provider.name"] == "openai"
    assert (
        first["gen_ai.request.model"] == "gpt-4o-mini"
        and first["gen_ai.request.temperature"] == 0.3
    )
    assert json.loads(first["gen_ai.system_instructions"]) == [
        {"type": "text", "content": "Be brief."}
    ]
    assert json.loads(first["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Hi"}]}
    ]
    [output] = json.loads(first["gen_ai.output.messages"])
    assert output["parts"] == [{"type": "text", "content": captured[0]["output_text"]}]
    assert first["gen_ai.usage.input_tokens"] == captured[0]["input_tokens"]
    assert json.loads(tool["gen_ai.tool.definitions"])[0]["name"] == "get_weather"
    assert json.loads(tool["gen_ai.output.messages"])[0]["parts"][0]["type"] == "tool_call"
    assert json.loads(responses["gen_ai.input.messages"])[0]["parts"][0]["content"] == "Hello"
    assert claude["gen_ai.provider.name"] == "anthropic"
    assert json.loads(claude["gen_ai.system_instructions"])[0]["content"] == "Be brief."
    assert failed["error.type"] == "rate_limit" and spans[5].status.code == 2
    # The tree: the nested call's parent span is the first call's span, in the same trace.
    assert spans[1].parent_span_id == spans[0].span_id and spans[1].trace_id == spans[0].trace_id


def test_export_batches_and_an_endpoint_that_refuses_is_one_line(
    captured: list[dict[str, Any]], store_url: str, pg_admin_url: str, template_url: str
) -> None:
    with fresh_database(pg_admin_url, TEMPLATE) as second:
        with serve(second, token="secret") as receiver:
            refused = run_llmlog(
                "--db", store_url, "export", "--otlp", receiver.url, "--since", "1h"
            )
            assert refused.code == 2 and "answered 401" in refused.stderr
            assert len(refused.stderr.strip().splitlines()) == 1
            with psycopg.connect(store_url) as conn:
                sent = export.export(
                    conn, export.Filters(feature="support"), receiver.url,
                    headers={"authorization": "Bearer secret"}, batch=1,
                )  # fmt: skip
        with psycopg.connect(second) as conn:
            assert len(rows(conn)) == sent.calls == sent.requests == 4  # (one a request)
    nothing = run_llmlog(
        "--db", store_url, "export", "--otlp", "http://127.0.0.1:9", "--feature", "none"
    )
    assert nothing.code == 0 and "no call matched" in nothing.stderr


def test_a_request_holds_one_resource_and_the_llmlog_scope(captured: list[dict[str, Any]]) -> None:
    request = export.request_of(captured)
    again = trace_service_pb2.ExportTraceServiceRequest.FromString(request.SerializeToString())
    [resource] = again.resource_spans
    assert wire.values(resource.resource.attributes) == {"service.name": "llmlog"}
    assert resource.scope_spans[0].scope.name == "llmlog"
    assert len(resource.scope_spans[0].spans) == len(captured)
