"""``llmlog.wrap(client, **fields)``: the same SDK client, with its HTTP traffic teed.

The SDKs take an ``http_client=`` and keep every other setting (base URL, timeouts,
retries, headers) through their public ``with_options``; nothing is patched. The new
``httpx2`` client's transport tees the traffic on its way to the original's:

- Fast path (the SDK's own default HTTP client, or any client without auth, event hooks
  or proxy mounts): the tee wraps the original client's transport, sharing its connection
  pool. One exchange then costs no second pass through ``httpx2.Client.send`` (~35 us).
- Otherwise the tee forwards through the original client's public ``send()``, so its auth,
  hooks, proxies and redirects all apply as before.

Three private attributes are read (never written), for want of public getters: the SDK's
``client._client`` and the httpx2 client's ``_transport`` and ``_mounts`` (and the
exchange reads ``Headers._list``, see ``exchange._triples``).
"""

from __future__ import annotations

from typing import Any, TypeVar

import httpx2

from llmlog.capture.context import FIELDS
from llmlog.capture.exchange import Source
from llmlog.capture.transport import (
    AsyncClientForward,
    AsyncTeeTransport,
    ClientForward,
    TeeTransport,
)

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


def _settings_of(http: httpx2.Client | httpx2.AsyncClient, *, shared: bool) -> dict[str, Any]:
    return {
        "base_url": http.base_url,
        "headers": http.headers,
        "params": http.params,
        "cookies": http.cookies,
        "timeout": http.timeout,
        # Forwarding through the original client: it follows redirects (or not) itself.
        "follow_redirects": http.follow_redirects if shared else False,
        "trust_env": False,  # proxies are the original client's business
    }


def wrap(client: C, **fields: Any) -> C:
    """A copy of ``client`` whose calls are captured with ``fields`` as defaults."""
    unknown = sorted(set(fields) - {*FIELDS, "metadata"})
    if unknown:
        raise TypeError(f"llmlog.wrap() got unknown field(s): {', '.join(unknown)}")
    defaults = dict(fields)
    if isinstance(defaults.get("metadata"), dict):
        defaults["metadata"] = dict(defaults["metadata"])  # read later, on the writer thread
    source = Source(provider=provider_of(client), defaults=defaults, secrets=_secrets(client))
    original = client._client  # type: ignore[attr-defined]
    shared = _shareable_transport(original)
    if isinstance(original, httpx2.AsyncClient):
        inner: Any = shared or AsyncClientForward(original)
        http: Any = httpx2.AsyncClient(
            transport=AsyncTeeTransport(inner, source, owner=original),
            **_settings_of(original, shared=bool(shared)),
        )
    else:
        inner = shared or ClientForward(original)
        http = httpx2.Client(
            transport=TeeTransport(inner, source, owner=original),
            **_settings_of(original, shared=bool(shared)),
        )
    return client.with_options(http_client=http)  # type: ignore[attr-defined,no-any-return]


def _shareable_transport(http: httpx2.Client | httpx2.AsyncClient) -> Any:
    """The client's transport when sending straight to it changes nothing, else None."""
    hooks = http.event_hooks
    if http.auth is not None or hooks.get("request") or hooks.get("response"):
        return None
    if getattr(http, "_mounts", None):
        return None  # proxies (or custom mounts) pick the transport per URL
    transport = getattr(http, "_transport", None)
    if isinstance(transport, TeeTransport | AsyncTeeTransport):
        return transport.inner  # wrapping a wrapped client: replace the tee, never stack two
    return transport
