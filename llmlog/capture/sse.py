"""Server-sent events: the JSON payloads of a captured ``text/event-stream`` body."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llmlog.store.records import loads


def json_events(body: str) -> Iterator[dict[str, Any]]:
    """Each event's data that is a JSON object, in order (``[DONE]``, comments and a broken
    tail are skipped).

    Lines end at ``\\n``, ``\\r\\n`` or ``\\r`` and nothing else: model text may hold U+2028
    and the like, unescaped, inside the JSON (``str.splitlines`` would cut it there)."""
    if "\r" in body:
        body = body.replace("\r\n", "\n").replace("\r", "\n")
    for block in body.split("\n\n"):
        if block.startswith("data:") and "\n" not in block:  # the usual event: one data line
            data = block[5:].removeprefix(" ")
        else:
            data = "\n".join(
                line[5:].removeprefix(" ") for line in block.split("\n") if line.startswith("data:")
            )
        if not data or data == "[DONE]":
            continue
        try:
            payload = loads(data)
        except ValueError:
            continue
        if isinstance(payload, dict):
            yield payload
