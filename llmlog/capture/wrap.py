"""``llmlog.wrap(client, **fields)``: the same SDK client, with its HTTP traffic teed.

The SDKs take an ``http_client=`` and keep every other setting (base URL, timeouts,
retries, headers) through their public ``with_options``. What they do not offer is a
public getter for the HTTP client they already hold, so ``wrap`` reads ``client._client``
(read only, never patched) and builds a new ``httpx2`` client that sends through it.
"""

from __future__ import annotations

from typing import Any, TypeVar

import httpx2

from llmlog.capture.context import FIELDS
from llmlog.capture.transport import AsyncTeeTransport, Tap, TeeTransport

C = TypeVar("C")


def provider_of(client: object) -> str:
    module = type(client).__module__.split(".", 1)[0]
    if module in ("openai", "anthropic"):
        return module
    raise TypeError(
        f"llmlog.wrap() takes an OpenAI, AsyncOpenAI, Anthropic or AsyncAnthropic client, "
        f"not {type(client).__name__}"
    )


def _secrets(client: object) -> tuple[str, ...]:
    values = (getattr(client, name, None) for name in ("api_key", "auth_token", "admin_api_key"))
    return tuple(v for v in values if isinstance(v, str) and len(v) >= 8)


def _settings_of(http: httpx2.Client | httpx2.AsyncClient) -> dict[str, Any]:
    return {
        "base_url": http.base_url,
        "headers": http.headers,
        "params": http.params,
        "cookies": http.cookies,
        "timeout": http.timeout,
        "follow_redirects": False,  # the original client follows (or not) on its own
        "trust_env": False,  # proxies are the original client's business
    }


def wrap(client: C, **fields: Any) -> C:
    """A copy of ``client`` whose calls are captured with ``fields`` as defaults."""
    unknown = sorted(set(fields) - {*FIELDS, "metadata"})
    if unknown:
        raise TypeError(f"llmlog.wrap() got unknown field(s): {', '.join(unknown)}")
    tap = Tap(provider=provider_of(client), defaults=dict(fields), secrets=_secrets(client))
    original = client._client  # type: ignore[attr-defined]
    if isinstance(original, httpx2.AsyncClient):
        http: Any = httpx2.AsyncClient(
            transport=AsyncTeeTransport(original, tap), **_settings_of(original)
        )
    else:
        http = httpx2.Client(transport=TeeTransport(original, tap), **_settings_of(original))
    return client.with_options(http_client=http)  # type: ignore[attr-defined,no-any-return]
