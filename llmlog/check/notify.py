"""Posting alerts to a webhook: a JSON body with a ``text`` field (Slack's incoming webhooks,
and the many chat tools that read the same shape)."""

from __future__ import annotations

from urllib.parse import urlsplit

TIMEOUT = 5.0  # seconds: a check run every minute must not hang on a webhook


def post(url: str, text: str) -> str | None:
    """POST ``{"text": text}`` to ``url``; None when it was taken, else what went wrong
    (naming the host only: a webhook URL's path is often its secret)."""
    import httpx2

    host = urlsplit(url).netloc.rpartition("@")[2] or url[:30]
    try:
        response = httpx2.post(url, json={"text": text}, timeout=TIMEOUT)
    except httpx2.HTTPError as exc:
        return f"cannot reach the webhook at {host}: {type(exc).__name__}"
    except ValueError as exc:  # not a URL httpx can use
        return f"the webhook URL is not usable: {exc}"
    if response.status_code >= 300:
        return f"the webhook at {host} answered HTTP {response.status_code}"
    return None
