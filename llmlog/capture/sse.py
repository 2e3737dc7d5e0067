"""Server-sent events: split a captured ``text/event-stream`` body into (event, data) pairs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llmlog.store.records import loads


def events(body: str) -> Iterator[tuple[str | None, str]]:
    """Each event's name (None when unnamed) and its joined ``data:`` lines."""
    name: str | None = None
    data: list[str] = []
    for line in body.splitlines():
        if not line:
            if data:
                yield name, "\n".join(data)
            name, data = None, []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        elif line.startswith("event:"):
            name = line[6:].strip()
    if data:
        yield name, "\n".join(data)


def json_events(body: str) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """The events whose data is a JSON object (``[DONE]`` and broken tails are skipped)."""
    for name, data in events(body):
        if data == "[DONE]":
            continue
        try:
            payload = loads(data)
        except ValueError:
            continue
        if isinstance(payload, dict):
            yield name, payload
