"""``llmlog proxy`` through the real SDKs to the stub: what the application gets, what the
upstream gets, and rows equal to those ``llmlog.wrap()`` stores for the same calls."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx2
import psycopg
import pytest

import llmlog
from llmlog.proxy.server import serving
from tests.capture.conftest import CANARY, anthropic_client, openai_client
from tests.proxy.conftest import TIMEOUT, config_for, stored, via_anthropic, via_openai
from tests.stub_provider import TEXT, StubServer

GPT = "gpt-4o-mini"
CLAUDE = "claude-haiku-4-5"
CONTEXT = {
    "feature": "support-bot",
    "tenant_id": "acme",
    "user_id": "u-17",
    "session_id": "s-9",
    "prompt_version": "v3",
    "trace_id": "trace-42",
}
METADATA = {"ticket": "4411", "region": "eu"}
HEADERS = {
    **{f"llmlog-{k.replace('_', '-')}": v for k, v in CONTEXT.items()},
    **{f"llmlog-metadata-{k}": v for k, v in METADATA.items()},
}
# What may differ between two calls of the same exchange: when and how long, and the id.
OWN = {"id", "ts", "latency_ms", "ttft_ms"}


def make(client: Any, kind: str, text: str) -> str | None:
    """Make one call of ``kind`` and read it to its end: the name of the exception the
    SDK raised, or None."""
    messages = [{"role": "user", "content": text}]
    tools = [
        {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    ]
    calls = {
        "chat": lambda: client.chat.completions.create(model=GPT, messages=messages, tools=tools),
        "chat-stream": lambda: client.chat.completions.create(
            model=GPT, messages=messages, stream=True, stream_options={"include_usage": True}
        ),
        "responses": lambda: client.responses.create(model=GPT, instructions="Hi.", input=text),
        "responses-stream": lambda: client.responses.create(
            model=GPT, instructions="Hi.", input=text, stream=True
        ),
        "messages": lambda: client.messages.create(
            model=CLAUDE, max_tokens=100, system="Hi.", messages=messages
        ),
        "messages-stream": lambda: client.messages.create(
            model=CLAUDE, max_tokens=100, system="Hi.", messages=messages, stream=True
        ),
    }
    try:
        result = calls[kind]()
        if kind.endswith("-stream"):
            for _ in result:
                pass
    except Exception as exc:
        return type(exc).__name__
    return None


def direct(stub: StubServer, kind: str) -> Any:
    client = anthropic_client if kind.startswith("messages") else openai_client
    return llmlog.wrap(client(stub, timeout=TIMEOUT))


def proxied(proxy: str, kind: str, **headers: str) -> Any:
    client = via_anthropic if kind.startswith("messages") else via_openai
    return client(proxy, default_headers={**HEADERS, **headers})


def comparable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in OWN}


KINDS = ("chat", "chat-stream", "responses", "responses-stream", "messages", "messages-stream")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("text", ["weather?", "tool", "error429", "error500", "error401"])
def test_a_call_through_the_proxy_is_stored_as_wrap_stores_it(
    capture: Path, store: psycopg.Connection, stub: StubServer, proxy: str, kind: str, text: str
) -> None:
    with llmlog.context(**CONTEXT, metadata=METADATA):
        raised = make(direct(stub, kind), kind, text)
    assert make(proxied(proxy, kind), kind, text) == raised  # the same answer, or error
    wrapped, through_proxy = stored(store, 2)
    assert comparable(through_proxy) == comparable(wrapped)
    assert through_proxy["status"] == ("error" if text.startswith("error") else "ok")


@pytest.mark.parametrize("kind", ["chat", "chat-stream", "messages-stream"])
def test_an_upstream_that_stalls_is_recorded_as_wraps_timeout(
    capture: Path, store: psycopg.Connection, stub: StubServer, proxy: str, kind: str
) -> None:
    """The stub sends half an answer, then pauses past the proxy's timeout: the client's
    connection is cut (it sees a failure, not a short answer) and the row is the one
    wrap() stores when its own client times out there."""
    with llmlog.context(**CONTEXT, metadata=METADATA):
        assert make(direct(stub, kind), kind, "stall") is not None
    assert make(proxied(proxy, kind), kind, "stall") is not None
    wrapped, through_proxy = stored(store, 2)
    # (the sync client's timeout says "timed out"; the proxy's async one says nothing, so
    # its message is the class name, as an AsyncOpenAI client's would be)
    assert through_proxy.pop("error_message") == "ReadTimeout"
    assert wrapped.pop("error_message") == "timed out"
    assert comparable(through_proxy) == comparable(wrapped)
    assert (through_proxy["error_type"], through_proxy["status"]) == ("timeout", "error")


def test_a_stream_reaches_the_client_chunk_by_chunk_as_the_upstream_sends_it(
    capture: Path, store: psycopg.Connection, proxy: str
) -> None:
    """The stub pauses 20 ms between events ("slow"): the first chunk reaches the client
    while the stub is still sending (before its last pause), not once it is done."""
    client = via_openai(proxy)
    started = time.perf_counter()
    arrivals = [
        time.perf_counter() - started
        for _ in client.chat.completions.create(
            model=GPT, messages=[{"role": "user", "content": "slow"}], stream=True
        )
    ]
    assert len(arrivals) >= 7
    assert arrivals[-1] - arrivals[0] >= 0.02 * (len(arrivals) - 2)  # the stub's pauses
    (row,) = stored(store, 1)
    assert row["ttft_ms"] < row["latency_ms"] - 80


def test_context_comes_from_the_headers_which_the_upstream_never_sees(
    capture: Path, store: psycopg.Connection, stub: StubServer, proxy: str
) -> None:
    parent = uuid.uuid4()
    stub.requests.clear()
    client = proxied(proxy, "chat", **{"llmlog-parent-id": str(parent)})
    client.chat.completions.create(model=GPT, messages=[{"role": "user", "content": "hi"}])
    (row,) = stored(store, 1)
    assert {k: row[k] for k in CONTEXT} == CONTEXT
    assert {k: row["metadata"][k] for k in METADATA} == METADATA
    assert row["parent_id"] == parent
    ((path, sent, body),) = stub.requests
    assert path == "/v1/chat/completions" and body["messages"][0]["content"] == "hi"
    assert not [name for name in sent if name.lower().startswith("llmlog-")]
    sent = {name.lower(): value for name, value in sent.items()}
    assert sent["authorization"] == f"Bearer {CANARY}"  # the key goes on as it came


def test_a_call_without_context_headers_is_its_own_trace_with_the_default_feature(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    with serving(config_for(stub, feature="from-the-cli")) as url:
        via_anthropic(url).messages.create(
            model=CLAUDE, max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )
    (row,) = stored(store, 1)
    assert (row["feature"], row["tenant_id"], row["parent_id"]) == ("from-the-cli", None, None)
    assert row["trace_id"] == str(row["id"])


def test_the_api_key_is_never_stored(
    capture: Path, store: psycopg.Connection, stub: StubServer, proxy: str
) -> None:
    """Not from the headers, and not from an error message that echoes it."""
    make(proxied(proxy, "chat-stream"), "chat-stream", "hi")
    assert make(proxied(proxy, "messages"), "messages", "error401") == "AuthenticationError"
    found = stored(store, 2)
    texts = store.execute("SELECT l::text FROM llm_calls l").fetchall()
    assert not [t for (t,) in texts if CANARY in t]
    assert "[KEY]" in found[1]["error_message"]


def test_a_token_is_required_when_the_proxy_has_one(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    import anthropic
    import openai

    stub.requests.clear()
    with serving(config_for(stub, token="s3cret-token")) as url:
        with pytest.raises(openai.AuthenticationError, match="llmlog-token"):
            via_openai(url).chat.completions.create(model=GPT, messages=[])
        wrong = proxied(url, "messages", **{"llmlog-token": "guess"})
        with pytest.raises(anthropic.AuthenticationError, match="llmlog-token"):
            wrong.messages.create(model=CLAUDE, max_tokens=5, messages=[])
        right = proxied(url, "chat", **{"llmlog-token": "s3cret-token"})
        right.chat.completions.create(model=GPT, messages=[{"role": "user", "content": "hi"}])
    (row,) = stored(store, 1)  # the refused calls are neither forwarded nor recorded
    assert row["status"] == "ok"
    ((_, sent, _),) = stub.requests
    assert "llmlog-token" not in {name.lower() for name in sent}


def test_an_unreachable_upstream_is_a_502_recorded_as_a_connection_error(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    import openai

    config = config_for(stub, openai_upstream="http://127.0.0.1:9/v1")
    with serving(config) as url, pytest.raises(openai.APIStatusError) as raised:
        via_openai(url).chat.completions.create(model=GPT, messages=[])
    assert raised.value.status_code == 502
    assert "could not be reached" in raised.value.message
    (row,) = stored(store, 1)
    assert (row["status"], row["error_type"], row["http_status"]) == ("error", "connection", None)


def test_an_upstream_that_does_not_answer_in_time_is_a_504_recorded_as_a_timeout(
    capture: Path, store: psycopg.Connection, stub: StubServer, proxy: str
) -> None:
    import anthropic

    stub.replies["late"] = (200, {}, TIMEOUT * 2)
    client = proxied(proxy, "messages", **{"x-stub-reply": "late"})
    with pytest.raises(anthropic.APIStatusError) as raised:
        client.messages.create(model=CLAUDE, max_tokens=5, messages=[])
    assert raised.value.status_code == 504
    assert raised.value.body["error"]["type"] == "timeout_error"  # type: ignore[index]
    (row,) = stored(store, 1)
    assert (row["error_type"], row["metadata"]["provider_error"]) == (
        "timeout",
        {"exception": "ReadTimeout"},
    )
    assert raised.value.response.headers["llmlog-call-id"] == str(row["id"])


def test_a_client_that_leaves_mid_stream_is_recorded_as_abandoned(
    capture: Path, store: psycopg.Connection, proxy: str
) -> None:
    client = via_openai(proxy)
    started = time.perf_counter()
    stream = client.chat.completions.create(
        model=GPT, messages=[{"role": "user", "content": "stall"}], stream=True, timeout=30
    )
    next(iter(stream))
    stream.close()
    (row,) = stored(store, 1)
    assert row["metadata"]["abandoned"] is True and row["streamed"] is True
    assert row["latency_ms"] < (time.perf_counter() - started) * 1000


def test_a_client_that_leaves_before_the_answer_is_recorded_as_a_connection_error(
    capture: Path, store: psycopg.Connection, stub: StubServer, proxy: str
) -> None:
    import openai

    stub.replies["slow"] = (200, {}, 0.4)
    client = via_openai(proxy, timeout=0.1, default_headers={"x-stub-reply": "slow"})
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model=GPT, messages=[])
    (row,) = stored(store, 1)
    assert (row["error_type"], row["metadata"]["provider_error"]) == (
        "connection",
        {"exception": "ConnectionAbortedError"},
    )
    assert row["latency_ms"] < 300


def test_other_endpoints_are_forwarded_unrecorded(
    capture: Path, store: psycopg.Connection, proxy: str
) -> None:
    response = httpx2.get(f"{proxy}/v1/models", headers={"authorization": f"Bearer {CANARY}"})
    assert response.status_code == 501  # the stub's answer to a GET, passed back
    assert stored(store, 0) == []


def test_a_parent_id_that_is_not_a_uuid_is_left_out_and_the_call_still_captured(
    capture: Path, store: psycopg.Connection, proxy: str
) -> None:
    client = proxied(proxy, "chat", **{"llmlog-parent-id": "step-3"})
    client.chat.completions.create(model=GPT, messages=[{"role": "user", "content": "hi"}])
    (row,) = stored(store, 1)
    assert (row["parent_id"], row["trace_id"], row["status"]) == (None, "trace-42", "ok")


def test_async_clients_stream_through_the_proxy_too(
    capture: Path, store: psycopg.Connection, proxy: str
) -> None:
    import asyncio

    async def run() -> str:
        client = via_openai(proxy, asynchronous=True, default_headers=HEADERS)
        stream = await client.chat.completions.create(
            model=GPT, messages=[{"role": "user", "content": "hi"}], stream=True
        )
        return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    text = asyncio.run(run())
    (row,) = stored(store, 1)
    assert row["output_text"] == text and row["streamed"] is True
    assert row["tenant_id"] == "acme" and row["ttft_ms"] is not None


@pytest.mark.parametrize("kind", ["chat", "messages"])
def test_a_compressed_answer_goes_back_as_sent_and_is_stored_as_wrap_stores_it(
    capture: Path, store: psycopg.Connection, stub: StubServer, proxy: str, kind: str
) -> None:
    gzip = {"x-stub-gzip": "1"}
    with llmlog.context(**CONTEXT, metadata=METADATA):
        client = anthropic_client if kind == "messages" else openai_client
        assert make(llmlog.wrap(client(stub, default_headers=gzip)), kind, "hi") is None
    assert make(proxied(proxy, kind, **gzip), kind, "hi") is None
    wrapped, through_proxy = stored(store, 2)
    assert comparable(through_proxy) == comparable(wrapped)
    assert through_proxy["output_text"] and through_proxy["input_tokens"]
    response = httpx2.post(
        f"{proxy}/v1/chat/completions",
        headers={**gzip, "authorization": f"Bearer {CANARY}", "accept-encoding": "gzip"},
        json={"model": GPT, "messages": [{"role": "user", "content": "hi"}]},
    )
    assert response.headers["content-encoding"] == "gzip"  # relayed, not decoded
    assert response.json()["choices"][0]["message"]["content"] == TEXT


def test_the_answer_names_the_calls_id_which_the_next_call_may_name_as_its_parent(
    capture: Path, store: psycopg.Connection, stub: StubServer, proxy: str
) -> None:
    client = proxied(proxy, "chat")
    first = client.chat.completions.with_raw_response.create(model=GPT, messages=[])
    call_id = first.headers["llmlog-call-id"]
    with_parent = proxied(proxy, "chat", **{"llmlog-parent-id": call_id})
    with_parent.chat.completions.create(model=GPT, messages=[])
    plan, step = stored(store, 2)
    assert (str(plan["id"]), step["parent_id"]) == (call_id, plan["id"])
    other = httpx2.get(f"{proxy}/v1/models", headers={"authorization": f"Bearer {CANARY}"})
    assert "llmlog-call-id" not in other.headers  # not a captured call


def test_at_shutdown_a_call_the_store_does_not_take_in_time_is_spooled(
    tmp_path: Path, stub: StubServer
) -> None:
    """The store accepts connections and never answers: the shutdown's flush waits
    ``exit_timeout``, then the call goes to the spool (after SIGTERM no atexit runs)."""
    import socket

    from llmlog import settings
    from llmlog.capture import writer

    spool = tmp_path / "spool"
    with socket.create_server(("127.0.0.1", 0)) as silent:
        store_url = f"postgresql://nobody@127.0.0.1:{silent.getsockname()[1]}/x"
        settings.reset()
        llmlog.configure(
            database_url=store_url, spool_dir=spool, flush_interval=60, exit_timeout=0.5
        )
        try:
            with serving(config_for(stub)) as url:
                via_openai(url).chat.completions.create(model=GPT, messages=[])
            spooled = [line for path in spool.glob("calls-*.jsonl") for line in path.open()]
        finally:
            writer.shutdown()
            settings.reset()
    assert len(spooled) == 1


def test_an_egress_proxy_the_environment_names_carries_the_upstream_calls(
    capture: Path, store: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY (as the SDKs read it): the request reaches the egress proxy in absolute
    form, for a host the proxy itself never resolves. (A second stub plays that proxy.)"""
    egress = StubServer().start()
    try:
        monkeypatch.setenv("HTTP_PROXY", egress.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # (the SDK reaches llmlog proxy direct)
        config = config_for(egress, openai_upstream="http://api.upstream.invalid/v1")
        with serving(config) as url:
            via_openai(url).chat.completions.create(model=GPT, messages=[])
    finally:
        egress.stop()
    ((path, _, _),) = egress.requests
    assert path == "http://api.upstream.invalid/v1/chat/completions"
    (row,) = stored(store, 1)
    assert row["status"] == "ok"
