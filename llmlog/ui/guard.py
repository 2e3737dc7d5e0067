"""Who may use the UI and how: the access token, the Host header, cross-site POSTs, and
response headers that keep stored content from running.

- Off loopback a token is required: ``?token=T`` once (it becomes an HttpOnly, SameSite
  cookie), the cookie, or ``Authorization: Bearer T``; anything else gets 401.
- On loopback without a token, the Host header must name a loopback address, so a page
  elsewhere cannot reach the UI through DNS rebinding.
- A POST must come from the UI's own pages: ``Sec-Fetch-Site`` (when the browser sends it)
  same-origin, ``Origin`` (when sent) the UI's own, and the form's ``csrf`` field this
  server's secret (pages carry it; another site cannot read them).
- Every response forbids inline and foreign scripts (Content-Security-Policy), framing and
  content sniffing: stored text is escaped by the templates, and would not run if it were not.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

COOKIE = "llmlog_ui_token"  # + _PORT: browsers share cookies across a host's ports


def cookie_name(scope: dict[str, Any]) -> str:
    """The token's cookie for the server ``scope`` reached: one per port, so that two UIs
    on one host (two stores) do not overwrite each other's."""
    server = scope.get("server") or ("", 0)
    return f"{COOKIE}_{server[1]}"


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),  # (no-referrer would make POSTs say Origin: null)
    (b"cache-control", b"no-store"),
]  # fmt: skip


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


@dataclass(frozen=True)
class Access:
    """The token the UI asks for (None: loopback without one) and the per-run CSRF secret."""

    token: str | None
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def csrf_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.csrf.encode())


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Guard:
    """ASGI middleware enforcing ``Access`` on every HTTP request."""

    def __init__(self, app: Any, access: Access) -> None:
        self.app, self.access = app, access

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await _plain(send, *refusal)
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if self.access.token is not None and "token" in query:
            await self._redirect_with_cookie(scope, query, send)
            return

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)

    def _refusal(self, scope: dict[str, Any], headers: dict[str, str]) -> tuple[int, str] | None:
        host = _host_name(headers.get("host", ""))
        if self.access.token is None and not is_loopback(host):
            return 400, "llmlog ui: this server answers only to a loopback host name\n"
        if self.access.token is not None and not self._token_ok(scope, headers):
            return 401, "llmlog ui: a token is required — open the URL `llmlog ui` printed\n"
        if scope["method"] not in ("GET", "HEAD") and not _same_origin(scope, headers):
            return 403, "llmlog ui: a cross-site request was refused\n"
        return None

    def _token_ok(self, scope: dict[str, Any], headers: dict[str, str]) -> bool:
        token = self.access.token or ""
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header is just no cookie
            cookies = SimpleCookie()
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        name = cookie_name(scope)
        candidates = [
            cookies[name].value if name in cookies else None,
            headers.get("authorization", "").removeprefix("Bearer ").strip() or None,
            query.get("token"),
        ]
        return any(c and hmac.compare_digest(c.encode(), token.encode()) for c in candidates)

    async def _redirect_with_cookie(self, scope: dict[str, Any], query: dict[str, str],
                                    send: Any) -> None:  # fmt: skip
        """``?token=T`` (already checked) becomes a cookie; the URL loses it."""
        rest = urlencode({k: v for k, v in query.items() if k != "token"})
        location = scope["path"] + (f"?{rest}" if rest else "")
        cookie = f"{cookie_name(scope)}={self.access.token}; Path=/; HttpOnly; SameSite=Strict"
        await send({"type": "http.response.start", "status": 303, "headers": [
            (b"location", location.encode()), (b"set-cookie", cookie.encode()), *HEADERS,
        ]})  # fmt: skip
        await send({"type": "http.response.body", "body": b""})


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _same_origin(scope: dict[str, Any], headers: dict[str, str]) -> bool:
    site = headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        return False
    origin = headers.get("origin")
    if origin is not None:
        own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
        return origin == own
    return True


async def _plain(send: Any, status: int, text: str) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), *HEADERS,
    ]})  # fmt: skip
    await send({"type": "http.response.body", "body": text.encode()})
