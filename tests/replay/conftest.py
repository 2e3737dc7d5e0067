"""Replay fixtures: capture's (the stub provider, a capturing writer) and the provider keys."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

import llmlog
from tests.capture.conftest import CANARY, anthropic_client, capture, openai_client, rows, stub
from tests.stub_provider import StubServer

Made = Callable[..., dict[str, Any]]

__all__ = ["capture", "stub"]


@pytest.fixture
def provider_env(monkeypatch: pytest.MonkeyPatch, stub: StubServer) -> StubServer:
    """Both SDKs pointed at the stub through their own variables; the stub's log emptied."""
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{stub.url}/v1")
    monkeypatch.setenv("ANTHROPIC_API_KEY", CANARY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", stub.url)
    stub.requests.clear()
    return stub


@pytest.fixture
def made(capture: Path, store: psycopg.Connection, provider_env: StubServer) -> Made:
    """Make a call through a wrapped SDK (in a context) and return its stored row."""

    def make(
        provider: str = "openai", endpoint: str = "chat", feature: str = "support", **body: Any
    ) -> dict[str, Any]:
        sdk = anthropic_client if provider == "anthropic" else openai_client
        client = llmlog.wrap(sdk(provider_env), feature=feature)
        with llmlog.context(tenant_id="acme", user_id="u-7", trace_id="trace-1"):
            if endpoint == "responses":
                result = client.responses.create(**body)
            elif provider == "anthropic":
                result = client.messages.create(**body)
            else:
                result = client.chat.completions.create(**body)
            if body.get("stream"):
                list(result)
            call_id = llmlog.last_call_id()
        (row,) = rows(store, "id = %s", call_id)
        provider_env.requests.clear()
        return row

    return make


def sent(stub: StubServer) -> tuple[str, dict[str, Any]]:
    """The one request the stub received: its path and body."""
    (request,) = stub.requests
    return request[0], request[2]
