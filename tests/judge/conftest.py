"""Judge fixtures: the stub provider as both SDKs' endpoint, capture into the test's store."""

from __future__ import annotations

from tests.replay.conftest import capture, provider_env, stub

__all__ = ["capture", "provider_env", "stub"]
