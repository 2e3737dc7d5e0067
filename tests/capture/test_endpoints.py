"""Every endpoint, sync and async, streamed and not, through the real SDKs to the stub."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from typing import Any

import genai_prices
import psycopg
import pytest

import llmlog
from tests import stub_provider as stub_mod
from tests.capture.conftest import anthropic_client, openai_client, rows
from tests.stub_provider import StubServer

GPT = "gpt-4o-mini"
CLAUDE = "claude-haiku-4-5"
USER = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "weather?"}]


def call(stub: StubServer, kind: str, *, asynchronous: bool, text: str = "weather?") -> Any:
    """Make one call of ``kind`` with a wrapped client; returns what the SDK returned."""
    messages = [USER[0], {"role": "user", "content": text}]
    if kind.startswith("messages"):
        client = llmlog.wrap(anthropic_client(stub, asynchronous=asynchronous), feature="t")
    else:
        client = llmlog.wrap(openai_client(stub, asynchronous=asynchronous), feature="t")
    make = {
        "chat.create": lambda: client.chat.completions.create(model=GPT, messages=messages),
        "chat.create_stream": lambda: client.chat.completions.create(
            model=GPT, messages=messages, stream=True, stream_options={"include_usage": True}
        ),
        "chat.stream": lambda: client.chat.completions.stream(
            model=GPT, messages=messages, stream_options={"include_usage": True}
        ),
        "chat.parse": lambda: client.chat.completions.parse(
            model=GPT, messages=messages, response_format={"type": "json_object"}
        ),
        "responses.create": lambda: client.responses.create(
            model=GPT, instructions="Be brief.", input=text
        ),
        "responses.stream": lambda: client.responses.stream(
            model=GPT, instructions="Be brief.", input=text
        ),
        "messages.create": lambda: client.messages.create(
            model=CLAUDE, max_tokens=100, system="Be brief.", messages=messages[1:]
        ),
        "messages.stream": lambda: client.messages.stream(
            model=CLAUDE, max_tokens=100, system="Be brief.", messages=messages[1:]
        ),
    }[kind]
    if asynchronous:
        return asyncio.run(_consume_async(make))
    return _consume(make())


def _consume(result: Any) -> Any:
    if hasattr(result, "__enter__") and not hasattr(result, "model_dump"):
        with result as stream:
            for _ in stream:
                pass
        return None
    if hasattr(result, "__iter__") and not hasattr(result, "model_dump"):
        for _ in result:
            pass
        return None
    return result


async def _consume_async(make: Any) -> Any:
    result = make()
    if hasattr(result, "__aenter__"):
        async with result as stream:
            async for _ in stream:
                pass
        return None
    result = await result
    if hasattr(result, "__aiter__"):
        async for _ in result:
            pass
        return None
    return result


KINDS = [
    "chat.create",
    "chat.create_stream",
    "chat.stream",
    "chat.parse",
    "responses.create",
    "responses.stream",
    "messages.create",
    "messages.stream",
]

SOME_KINDS = [k for k in KINDS if k not in ("chat.create_stream", "chat.parse")]


def expected_body(kind: str, model: str, scenario: str = "tool") -> dict[str, Any]:
    if kind.startswith("chat"):
        return stub_mod.chat_body(model, scenario)
    if kind.startswith("responses"):
        return stub_mod.responses_body(model, scenario)
    return stub_mod.messages_body(model, scenario)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_endpoint_is_recorded_exactly(
    capture: Path, store: psycopg.Connection, stub: StubServer, kind: str, asynchronous: bool
) -> None:
    call(stub, kind, asynchronous=asynchronous, text="use a tool")
    (row,) = rows(store)
    sent = stub.requests[-1][2]
    model = GPT if not kind.startswith("messages") else CLAUDE
    streamed = "stream" in kind
    assert row["provider"] == ("anthropic" if kind.startswith("messages") else "openai")
    assert row["endpoint"] == {"chat": "chat.completions", "responses": "responses",
                               "messages": "messages"}[kind.split(".")[0]]  # fmt: skip
    assert row["request"] == sent  # the body exactly as sent
    assert row["streamed"] is streamed
    assert row["response"] == expected_body(kind, model)  # streams reassembled
    assert row["model"] == model and row["response_model"] == model
    assert row["status"] == "ok" and row["http_status"] == 200
    assert row["system_prompt"] == "Be brief."
    assert row["finish_reason"] == "tool_calls"
    assert row["tool_calls"][-1] == {
        "id": "toolu_1" if model == CLAUDE else "call_1",
        "name": "get_weather",
        "arguments": stub_mod.TOOL_ARGS,
        "run_by": "client",
    }
    assert row["feature"] == "t"
    assert row["trace_id"] == str(row["id"]) and row["parent_id"] is None
    assert row["ts"] == llmlog.ids.ts_of(row["id"])  # type: ignore[attr-defined]
    assert row["latency_ms"] > 0
    if streamed:
        assert 0 < row["ttft_ms"] <= row["latency_ms"]
    else:
        assert row["ttft_ms"] is None
    assert row["metadata"]["attempt"] == 1
    assert row["metadata"]["headers"] == {"x-request-id": "req_stub"}
    assert "abandoned" not in row["metadata"]


@pytest.mark.parametrize("kind", SOME_KINDS)
def test_text_and_usage_columns(
    capture: Path, store: psycopg.Connection, stub: StubServer, kind: str
) -> None:
    call(stub, kind, asynchronous=False)
    (row,) = rows(store)
    assert row["output_text"] == stub_mod.TEXT
    assert row["finish_reason"] == "stop"
    assert row["tool_calls"] is None
    if kind.startswith("messages"):
        # Anthropic reports cache reads and writes apart; input_tokens includes them.
        assert (row["input_tokens"], row["cache_read_tokens"], row["cache_write_tokens"]) == (
            1300, 1000, 200,
        )  # fmt: skip
        assert row["reasoning_tokens"] is None
    else:
        assert (row["input_tokens"], row["cache_read_tokens"], row["cache_write_tokens"]) == (
            1200, 1024, 0,
        )  # fmt: skip
        assert row["reasoning_tokens"] == 10
    assert row["output_tokens"] == 50


@pytest.mark.parametrize("kind", SOME_KINDS)
def test_refusals(capture: Path, store: psycopg.Connection, stub: StubServer, kind: str) -> None:
    call(stub, kind, asynchronous=False, text="please refuse")
    (row,) = rows(store)
    assert row["finish_reason"] == "refusal"
    assert row["status"] == "ok"


@pytest.mark.parametrize("kind", ["chat.create", "responses.stream", "messages.create"])
def test_cost_matches_genai_prices(
    capture: Path, store: psycopg.Connection, stub: StubServer, kind: str
) -> None:
    call(stub, kind, asynchronous=False)
    (row,) = rows(store)
    provider = "anthropic" if kind.startswith("messages") else "openai"
    flavor = {"chat": "chat", "responses": "responses", "messages": "default"}[kind.split(".")[0]]
    extracted = genai_prices.extract_usage(row["response"], provider_id=provider, api_flavor=flavor)
    price = extracted.calc_price(genai_request_timestamp=row["ts"].astimezone(UTC))
    assert row["cost_usd"] == pytest.approx(Decimal(price.total_price), abs=Decimal("1e-10"))
    assert row["cost_usd"] > 0


def test_cost_by_hand(capture: Path, store: psycopg.Connection, stub: StubServer) -> None:
    call(stub, "chat.create", asynchronous=False)
    (row,) = rows(store)
    # gpt-4o-mini: $0.15/M input, $0.075/M cached input, $0.60/M output.
    expected = (
        Decimal(176) * Decimal("0.15") + 1024 * Decimal("0.075") + 50 * Decimal("0.6")
    ) / 10**6
    assert row["cost_usd"] == expected


def test_unknown_model_costs_null_and_warns_once(
    capture: Path, store: psycopg.Connection, stub: StubServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = llmlog.wrap(openai_client(stub))
    for _ in range(2):
        client.chat.completions.create(model="my-own-model-7", messages=USER)
    found = rows(store)
    assert [r["cost_usd"] for r in found] == [None, None]
    warnings = [r for r in caplog.records if "my-own-model-7" in r.getMessage()]
    assert len(warnings) == 1


def test_price_override_file(
    capture: Path, store: psycopg.Connection, stub: StubServer, isolated_env: Path
) -> None:
    (isolated_env / "prices.toml").write_text(
        '[models."ft:gpt-4o-mini:acme"]\ninput_mtok = 1\noutput_mtok = 2\ncache_read_mtok = 0.5\n'
    )
    llmlog.wrap(openai_client(stub)).chat.completions.create(
        model="ft:gpt-4o-mini:acme", messages=USER
    )
    (row,) = rows(store)
    assert row["cost_usd"] == (Decimal(176) * 1 + 1024 * Decimal("0.5") + 50 * 2) / 10**6


def test_abandoned_stream_is_marked(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    client = llmlog.wrap(openai_client(stub))
    stream = client.chat.completions.create(
        model=GPT, messages=[{"role": "user", "content": "slow answer"}], stream=True
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            break
    stream.close()
    (row,) = rows(store)
    assert row["metadata"]["abandoned"] is True
    assert row["streamed"] is True
    assert row["output_text"] and stub_mod.TEXT.startswith(row["output_text"])
    assert row["output_text"] != stub_mod.TEXT
    assert row["ttft_ms"] <= row["latency_ms"]


def test_ttft_is_first_content_not_first_byte(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    client = llmlog.wrap(anthropic_client(stub))
    with client.messages.stream(
        model=CLAUDE, max_tokens=10, messages=[{"role": "user", "content": "slow"}]
    ) as stream:
        for _ in stream:
            pass
    (row,) = rows(store)
    # message_start, content_block_start and ping come before the first text delta; each
    # event is followed by a 20 ms pause in the "slow" scenario.
    assert row["ttft_ms"] >= 40
    assert row["latency_ms"] - row["ttft_ms"] >= 80


@pytest.mark.parametrize("status", [429, 500])
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_http_errors_are_recorded_and_reraised(
    capture: Path, store: psycopg.Connection, stub: StubServer, status: int, provider: str
) -> None:
    import anthropic
    import openai

    text = f"error{status}"
    if provider == "openai":
        client = llmlog.wrap(openai_client(stub))
        expected = openai.RateLimitError if status == 429 else openai.InternalServerError
        with pytest.raises(expected):
            client.chat.completions.create(model=GPT, messages=[{"role": "user", "content": text}])
    else:
        client = llmlog.wrap(anthropic_client(stub))
        expected = anthropic.RateLimitError if status == 429 else anthropic.InternalServerError
        with pytest.raises(expected):
            client.messages.create(
                model=CLAUDE, max_tokens=5, messages=[{"role": "user", "content": text}]
            )
    (row,) = rows(store)
    assert row["status"] == "error" and row["http_status"] == status
    assert row["error_type"] == ("rate_limit" if status == 429 else "server_error")
    kind = "rate_limit_error" if status == 429 else "server_error"  # the stub's own words
    expected = {"type": kind} if provider == "anthropic" else {"type": kind, "code": kind}
    assert row["metadata"]["provider_error"] == expected
    assert row["error_message"] == f"stub {status}"
    assert row["finish_reason"] == "error"
    assert row["cost_usd"] is None


def test_retries_are_one_row_per_attempt(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    client = llmlog.wrap(openai_client(stub, max_retries=2))
    result = client.chat.completions.create(
        model=GPT, messages=[{"role": "user", "content": "flaky"}]
    )
    assert result.choices[0].message.content == stub_mod.TEXT
    first, second = rows(store)
    assert (first["status"], first["http_status"], first["metadata"]["attempt"]) == (
        "error", 500, 1,
    )  # fmt: skip
    assert (second["status"], second["metadata"]["attempt"]) == ("ok", 2)
    assert llmlog.last_call_id() == second["id"]


def test_connection_failure_is_recorded(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    import openai

    client = llmlog.wrap(
        openai.OpenAI(api_key="sk-x", base_url="http://127.0.0.1:9/v1", max_retries=0)
    )
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model=GPT, messages=USER)
    (row,) = rows(store)
    assert row["status"] == "error" and row["http_status"] is None
    assert row["error_type"] == "connection"
    assert row["metadata"]["provider_error"] == {"exception": "ConnectError"}


def test_wrapped_client_keeps_its_settings(stub: StubServer) -> None:
    original = openai_client(stub, timeout=12.5, max_retries=3)
    wrapped = llmlog.wrap(original)
    assert wrapped.base_url == original.base_url
    assert wrapped.timeout == 12.5 and wrapped.max_retries == 3
    assert type(wrapped) is type(original)


def test_other_endpoints_pass_through_unrecorded(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    import openai

    client = llmlog.wrap(openai_client(stub))
    with pytest.raises(openai.APIStatusError):
        client.models.list()  # GET, not a captured endpoint (the stub answers 501)
    assert rows(store) == []


def test_request_is_stored_byte_for_byte_equal(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    llmlog.wrap(openai_client(stub)).chat.completions.create(
        model=GPT, messages=USER, temperature=0.25, max_tokens=7, seed=1
    )
    (row,) = rows(store)
    assert json.dumps(row["request"], sort_keys=True) == json.dumps(
        stub.requests[-1][2], sort_keys=True
    )


def test_a_custom_http_client_keeps_its_hooks(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    import httpx2
    import openai

    seen: list[str] = []
    http = httpx2.Client(event_hooks={"request": [lambda r: seen.append(r.url.path)]})
    client = llmlog.wrap(
        openai.OpenAI(api_key="sk-x", base_url=f"{stub.url}/v1", http_client=http, max_retries=0)
    )
    client.chat.completions.create(model=GPT, messages=USER)
    assert seen == ["/v1/chat/completions"]  # sent through the original client
    (row,) = rows(store)
    assert row["output_text"] == stub_mod.TEXT


def test_the_original_client_may_be_garbage_collected(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    import gc

    client = llmlog.wrap(openai_client(stub))
    gc.collect()  # the SDK's default HTTP client closes its pool when collected
    for _ in range(2):
        client.chat.completions.create(model=GPT, messages=USER)
    assert len(rows(store)) == 2


def test_read_timeout_is_recorded(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    import openai

    client = llmlog.wrap(openai_client(stub, timeout=0.3))
    with pytest.raises(openai.APITimeoutError):
        stream = client.chat.completions.create(
            model=GPT, messages=[{"role": "user", "content": "stall"}], stream=True
        )
        for _ in stream:
            pass
    (row,) = rows(store)
    assert (row["status"], row["error_type"], row["streamed"]) == ("error", "timeout", True)
    assert row["metadata"]["provider_error"] == {"exception": "ReadTimeout"}
    assert row["finish_reason"] == "error"


def test_a_body_cut_short_is_recorded_and_its_error_raised_unchanged(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    """A body that is not an event stream is read whole by the tee: a failure half-way
    reaches the caller as it would without llmlog, and the call is recorded."""
    import openai

    client = llmlog.wrap(openai_client(stub, timeout=0.3))
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model=GPT, messages=[{"role": "user", "content": "stall"}])
    (row,) = rows(store)
    assert (row["status"], row["http_status"], row["error_type"]) == ("error", 200, "timeout")
    assert row["streamed"] is False and row["finish_reason"] == "error"


def test_async_abandoned_stream_and_async_decorator(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    client = llmlog.wrap(anthropic_client(stub, asynchronous=True))

    @llmlog.context(feature="async-deco")
    async def run() -> None:
        stream = await client.messages.create(
            model=CLAUDE, max_tokens=5, messages=[{"role": "user", "content": "slow"}], stream=True
        )
        async for event in stream:
            if event.type == "content_block_delta":
                break
        await stream.close()

    asyncio.run(run())
    (row,) = rows(store)
    assert row["feature"] == "async-deco"
    assert row["metadata"]["abandoned"] is True and row["output_text"]


def test_wrapping_twice_records_once_with_the_newest_fields(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    client = llmlog.wrap(llmlog.wrap(openai_client(stub), feature="old"), feature="new")
    client.chat.completions.create(model=GPT, messages=USER)
    (row,) = rows(store)
    assert row["feature"] == "new"


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "not-streamed"])
def test_streamed_is_the_requests_stream_flag_also_for_errors(
    capture: Path, store: psycopg.Connection, stub: StubServer, stream: bool
) -> None:
    import anthropic
    import openai

    chat = llmlog.wrap(openai_client(stub))
    with pytest.raises(openai.RateLimitError):  # an HTTP error, a JSON body
        chat.chat.completions.create(
            model=GPT, messages=[{"role": "user", "content": "error429"}], stream=stream
        )
    claude = llmlog.wrap(anthropic_client(stub))
    with pytest.raises(anthropic.InternalServerError):
        claude.messages.create(
            model=CLAUDE, max_tokens=5, messages=[{"role": "user", "content": "error500"}],
            stream=stream,
        )  # fmt: skip
    unreachable = llmlog.wrap(
        openai.OpenAI(api_key="sk-x", base_url="http://127.0.0.1:9/v1", max_retries=0)
    )
    with pytest.raises(openai.APIConnectionError):  # no response at all
        unreachable.responses.create(model=GPT, input="hi", stream=stream)
    found = rows(store)
    assert [(r["endpoint"], r["status"], r["streamed"]) for r in found] == [
        ("chat.completions", "error", stream),
        ("messages", "error", stream),
        ("responses", "error", stream),
    ]


WEATHER = {"name": "get_weather", "arguments": stub_mod.TOOL_ARGS, "run_by": "client"}
PROVIDER_RUN = {
    "responses": [
        {"id": "ws_1", "name": "web_search", "run_by": "provider",
         "arguments": '{"action":{"type":"search","query":"weather in Paris"}}'},
        {"id": "fs_1", "name": "file_search", "run_by": "provider",
         "arguments": '{"queries":["refund policy"]}'},
        {"id": "mcp_1", "name": "lookup", "run_by": "provider", "server": "docs",
         "arguments": '{"q":"refunds"}'},
        {"id": "call_1", **WEATHER},
    ],
    "messages": [
        {"id": "srvtoolu_1", "name": "web_search", "run_by": "provider",
         "arguments": '{"query":"weather in Paris"}'},
        {"id": "mcptoolu_1", "name": "lookup", "run_by": "provider", "server": "docs",
         "arguments": '{"q":"refunds"}'},
        {"id": "toolu_1", **WEATHER},
    ],
}  # fmt: skip


@pytest.mark.parametrize(
    "kind", ["responses.create", "responses.stream", "messages.create", "messages.stream"]
)
def test_tool_calls_hold_every_tool_the_model_invoked_marked_by_who_runs_it(
    capture: Path, store: psycopg.Connection, stub: StubServer, kind: str
) -> None:
    """Provider-run tools (web search, file search, MCP) are listed with the client's own,
    in the order the model invoked them; only a client tool makes it ``tool_calls``."""
    call(stub, kind, asynchronous=False, text="search the web")
    (row,) = rows(store)
    assert row["tool_calls"] == PROVIDER_RUN[kind.split(".")[0]]
    assert row["finish_reason"] == "tool_calls"
