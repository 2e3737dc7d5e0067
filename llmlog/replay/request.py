"""The request a replay sends: the stored body, converted if the provider changes, with the
overrides applied, and checked for what the provider would reject.

A same-provider replay sends exactly the stored body (tools, ``tool_choice``,
``response_format``, stop, seed, streaming and every other key included) except what an
override changes.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from llmlog.errors import NotFoundError, UsageError
from llmlog.replay import check, convert

if TYPE_CHECKING:
    import psycopg

Body = dict[str, Any]
PROVIDERS = ("openai", "anthropic")
# The key of each endpoint's output limit; Chat keeps the one the original used.
MAX_TOKENS_KEY = {"responses": "max_output_tokens", "messages": "max_tokens"}
_CONTENT_KEYS = ("messages", "input")


@dataclass(frozen=True)
class Overrides:
    """What a replay changes; ``params`` are top-level body keys (None removes a key)."""

    model: str | None = None
    provider: str | None = None
    system: str | None = None
    prompt: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def given(self) -> dict[str, Any]:
        """The overrides that were given, as the replay's ``metadata`` keeps them."""
        return {k: v for k, v in asdict(self).items() if v is not None and v != {}}


@dataclass(frozen=True)
class Request:
    """A request ready to send, and what converting it could not carry over."""

    provider: str
    endpoint: str
    body: Body
    warnings: tuple[str, ...] = ()


def load(conn: psycopg.Connection, id_or_prefix: str) -> dict[str, Any]:
    """The stored call with that id (or unique prefix); NotFoundError when it is unknown."""
    from llmlog.reports.calls import find_call
    from llmlog.reports.run import run

    return run(conn, "call", find_call(conn, id_or_prefix))[0]


def original(call: dict[str, Any]) -> Request:
    """The call's request exactly as stored; NotFoundError when its content is gone."""
    body = call.get("request")
    if not isinstance(body, dict) or not any(k in body for k in _CONTENT_KEYS):
        raise NotFoundError(
            f"call {call['id']} has no stored prompt to replay (its content was removed: "
            "retention or metadata-only capture)",
            hint="only calls whose request is stored can be replayed",
        )
    if "llmlog_raw" in body:
        raise NotFoundError(
            f"call {call['id']}'s stored request is not JSON",
            hint="only calls whose request is stored as JSON can be replayed",
        )
    return Request(call["provider"], call["endpoint"], copy.deepcopy(body))


def rebuild(call: dict[str, Any], overrides: Overrides) -> Request:
    """The request a replay of ``call`` with ``overrides`` sends; UsageError if invalid."""
    request = original(call)
    provider, endpoint, body, warnings = request.provider, request.endpoint, request.body, []
    if overrides.provider and overrides.provider != provider:
        if overrides.model is None:
            raise UsageError(
                f"a replay on {overrides.provider} needs the model to use there",
                hint="add --model, e.g. --model claude-sonnet-4-5 or --model gpt-4o-mini",
            )
        provider = overrides.provider
        endpoint, body, warnings = convert.convert(body, endpoint, provider)
    apply(endpoint, body, overrides)
    check.check(endpoint, body)
    return Request(provider, endpoint, body, tuple(warnings))


def apply(endpoint: str, body: Body, overrides: Overrides) -> None:
    """Apply ``overrides`` to ``body`` (in place); ``params`` last, so they win."""
    if overrides.model is not None:
        body["model"] = overrides.model
    if overrides.system is not None:
        _set_system(endpoint, body, overrides.system)
    if overrides.prompt is not None:
        _set_prompt(endpoint, body, overrides.prompt)
    if overrides.temperature is not None:
        body["temperature"] = overrides.temperature
    if overrides.max_tokens is not None:
        body[_max_tokens_key(endpoint, body)] = overrides.max_tokens
    for key, value in overrides.params.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value


def _max_tokens_key(endpoint: str, body: Body) -> str:
    if endpoint in MAX_TOKENS_KEY:
        return MAX_TOKENS_KEY[endpoint]
    return "max_tokens" if "max_tokens" in body else "max_completion_tokens"


def _set_system(endpoint: str, body: Body, text: str) -> None:
    if endpoint == "messages":
        body["system"] = text
        return
    if endpoint == "responses" and (body.get("instructions") or not _leading_system(body)):
        body["instructions"] = text
        return
    key = "input" if endpoint == "responses" else "messages"
    items = body.setdefault(key, [])
    if _leading_system(body):
        items[0] = {**items[0], "content": text}
    else:
        items.insert(0, {"role": "system", "content": text})


def _leading_system(body: Body) -> bool:
    items = body.get("messages", body.get("input"))
    return (
        isinstance(items, list)
        and bool(items)
        and isinstance(items[0], dict)
        and items[0].get("role") in ("system", "developer")
    )


def _set_prompt(endpoint: str, body: Body, text: str) -> None:
    """The text of the last user message becomes ``text`` (images and other parts stay)."""
    key = "input" if endpoint == "responses" else "messages"
    items = body.get(key)
    if isinstance(items, str):
        body[key] = text
        return
    for item in reversed(items or []):
        if isinstance(item, dict) and item.get("role") == "user" and _has_text(item):
            item["content"] = _replace_text(item["content"], text)
            return
    raise UsageError(
        "the stored request has no user message with text for --prompt-file to replace",
        hint="change the body with --param messages=… instead",
    )


def _has_text(message: Body) -> bool:
    content = message.get("content")
    return isinstance(content, str) or any(
        isinstance(p, dict) and "text" in p for p in content or []
    )


def _replace_text(content: Any, text: str) -> Any:
    if isinstance(content, str):
        return text
    kept: list[Any] = []
    for part in content:
        if isinstance(part, dict) and "text" in part:
            if not any(isinstance(p, dict) and "text" in p for p in kept):
                kept.append({**part, "text": text})
        else:
            kept.append(part)
    return kept
