"""Replay fixtures: capture's (the stub provider, a capturing writer) and the provider keys."""

from __future__ import annotations

import pytest

from tests.capture.conftest import CANARY, capture, stub
from tests.stub_provider import StubServer

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
