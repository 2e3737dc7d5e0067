"""Sending a replay through the real SDK, captured by llmlog itself.

The body goes out through the SDK's public ``post`` (its auth, retries with back-off that
honours ``retry-after``, timeouts and error types) exactly as built, so a same-provider
replay sends the stored JSON. Unless ``save`` is off, the client is ``llmlog.wrap``ped and
the call is made in a ``llmlog.context`` holding the original's tenant, user, feature,
session, prompt version and trace, so capture stores it as a new call with ``replay_of``
and the overrides in ``metadata``. A failed attempt is stored like any failed call (status
``error``, still linked by ``replay_of``).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import llmlog
from llmlog import redact
from llmlog.capture.build import REPLAY_OF, cost_of
from llmlog.capture.exchange import scan
from llmlog.capture.parsers import module_for
from llmlog.errors import ConfigError, ProviderError
from llmlog.replay.request import Request

KEY_VARIABLE = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
PATHS = {"chat.completions": "/chat/completions", "responses": "/responses",
         "messages": "/v1/messages"}  # fmt: skip
CONTEXT_FIELDS = ("feature", "tenant_id", "user_id", "session_id", "prompt_version")


@dataclass(frozen=True)
class Outcome:
    """What one sent request produced (the columns capture would store for it)."""

    call_id: uuid.UUID | None  # the stored call; None when not saved
    model: str | None
    output_text: str | None
    tool_calls: list[dict[str, Any]] | None
    finish_reason: str | None
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: Decimal | None
    ttft_ms: float | None
    latency_ms: float


def client_for(provider: str, *, base_url: str | None = None, save: bool = True) -> Any:
    """An SDK client for ``provider`` (keys and endpoints from the SDK's own variables),
    wrapped by llmlog when the replay is saved."""
    variable = KEY_VARIABLE[provider]
    key = os.environ.get(variable)
    if not key:
        if base_url is None:
            raise ConfigError(
                f"{variable} is not set", hint=f"export {variable}=… (your {provider} API key)"
            )
        key = "unused"  # a local OpenAI-compatible server (vLLM, Ollama) takes any key
    if provider == "anthropic":
        import anthropic

        client: Any = anthropic.Anthropic(api_key=key, base_url=base_url)
    else:
        import openai

        client = openai.OpenAI(api_key=key, base_url=base_url)
    return llmlog.wrap(client) if save else client


def send(
    request: Request,
    client: Any,
    *,
    origin: dict[str, Any],
    metadata: dict[str, Any],
    save: bool = True,
) -> Outcome:
    """Send ``request`` as a replay of the stored call ``origin``; ProviderError on failure."""
    fields = {k: origin.get(k) for k in CONTEXT_FIELDS}
    link = {REPLAY_OF: str(origin["id"])} if save else {}
    context = {**fields, "trace_id": origin.get("trace_id")}
    return send_in(request, client, context=context, metadata={**metadata, **link}, save=save)


def send_in(
    request: Request,
    client: Any,
    *,
    context: dict[str, Any],
    metadata: dict[str, Any],
    save: bool = True,
) -> Outcome:
    """Send ``request`` inside ``llmlog.context(**context, metadata=metadata)`` (how capture
    stores it); ProviderError on failure."""
    with llmlog.context(**context, metadata=metadata):
        started = time.perf_counter()
        try:
            raw, ttft_ms, streamed = _post(request, client, started)
        except Exception as exc:
            raise provider_error(exc, request, client) from exc
        latency_ms = (time.perf_counter() - started) * 1000
        call_id = llmlog.last_call_id() if save else None
    return _outcome(request, raw, streamed, call_id, ttft_ms, latency_ms)


def _post(request: Request, client: Any, started: float) -> tuple[bytes, float | None, bool]:
    """The response body, when its first content came (an event stream's) and if it streamed."""
    import importlib

    import httpx2

    sdk = importlib.import_module(type(client).__module__.split(".")[0])
    response = client.post(
        PATHS[request.endpoint],
        cast_to=httpx2.Response,
        body=request.body,
        stream=True,
        stream_cls=sdk.Stream[object],
    )
    streamed = response.headers.get("content-type", "").startswith("text/event-stream")
    chunks, ttft_ms, tail = [], None, b""
    try:
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            if streamed and ttft_ms is None:
                kept = scan(tail, chunk)
                if kept is None:
                    ttft_ms = (time.perf_counter() - started) * 1000
                tail = kept or b""
    finally:
        response.close()
    return b"".join(chunks), ttft_ms, streamed


def _outcome(
    request: Request,
    raw: bytes,
    streamed: bool,
    call_id: uuid.UUID | None,
    ttft_ms: float | None,
    latency_ms: float,
) -> Outcome:
    parser = module_for(request.endpoint)
    text = raw.decode("utf-8", "replace")
    try:
        response = parser.reassemble(text) if streamed else json.loads(text)
    except ValueError:
        response = None
    if not isinstance(response, dict):
        raise ProviderError(
            f"{request.provider} answered with a body that is not a JSON object: {text[:80]!r}",
            hint="is the base URL an OpenAI-compatible (or Anthropic) API?",
        )
    parsed = parser.normalise(request.body, response)
    priced = {"provider": request.provider, "endpoint": request.endpoint,
              "model": request.body.get("model"), "ts": datetime.now(UTC)}  # fmt: skip
    cost = cost_of(priced, response, parsed)
    return Outcome(
        call_id=call_id,
        model=parsed.response_model or request.body.get("model"),
        output_text=parsed.output_text,
        tool_calls=parsed.tool_calls,
        finish_reason=parsed.finish_reason,
        input_tokens=parsed.input_tokens,
        output_tokens=parsed.output_tokens,
        cost_usd=cost,
        ttft_ms=ttft_ms,
        latency_ms=latency_ms,
    )


def provider_error(exc: Exception, request: Request, client: Any) -> ProviderError:
    """One line saying what the provider (or the way to it) said, never the key."""
    provider = request.provider
    kind = type(exc).__name__
    status = getattr(exc, "status_code", None)
    where = str(getattr(client, "base_url", "")).rstrip("/")
    if kind in ("APIConnectionError", "APITimeoutError"):
        return ProviderError(
            f"cannot reach {provider} at {where}: {kind}",
            hint="check the network, the base URL (--base-url or "
            f"{provider.upper()}_BASE_URL) and that the server is running",
        )
    if status is None:
        raise exc  # not the provider's doing: a bug of ours, shown as such
    secrets = (getattr(client, "api_key", None) or "",)
    message = redact.scrub_keys(_message_of(exc), [s for s in secrets if s])
    if status == 401:
        return ProviderError(
            f"{provider} refused the API key (HTTP 401)",
            hint=f"check {KEY_VARIABLE[provider]}",
        )
    if status == 404:
        return ProviderError(
            f"{provider} does not know model {request.body.get('model')!r} or this endpoint "
            f"(HTTP 404: {message})",
            hint="check --model (and --base-url)",
        )
    if status == 429:
        return ProviderError(
            f"{provider} kept answering rate limited (HTTP 429) after the SDK's retries",
            hint="wait and try again",
        )
    return ProviderError(f"{provider} answered HTTP {status}: {message}")


def _message_of(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    return str(getattr(exc, "message", None) or exc)
