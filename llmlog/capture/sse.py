"""Server-sent events: the JSON payloads of a captured ``text/event-stream`` body."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson

from llmlog.store.records import loads

# An ``event:`` line after the end of an event (``^`` with re.MULTILINE is 5x slower).
_EVENT_LINE = re.compile(r"\n\nevent:[^\n]*\n")
_DATA = "\n\ndata: "  # one event's end and the next one's data line
_DONE = "\n\ndata: [DONE]"


def json_events(body: str) -> list[dict[str, Any]]:
    """Each event's data that is a JSON object, in order (``[DONE]``, comments and a broken
    tail are skipped).

    Lines end at ``\\n``, ``\\r\\n`` or ``\\r`` and nothing else: model text may hold U+2028
    and the like, unescaped, inside the JSON (``str.splitlines`` would cut it there)."""
    if "\r" in body:
        body = body.replace("\r\n", "\n").replace("\r", "\n")
    payloads = _in_one_read(body)
    if payloads is None:
        payloads = list(_one_by_one(body))
    return [payload for payload in payloads if isinstance(payload, dict)]


def _in_one_read(body: str) -> list[Any] | None:
    """The payloads of the usual stream with one ``orjson`` call, or None when the stream
    is anything else. Usual: every event one ``data: `` line holding one JSON value, after
    one ``event:`` line or none, and the last event whole. Its data lines joined with
    commas are then one JSON array, read in a third less time than one event at a time
    (the 220 events of a 1.5 KB answer: ~0.25 ms instead of ~0.4 ms)."""
    if body.startswith("event:"):
        body = _EVENT_LINE.sub("\n\n", body[body.find("\n") + 1 :])
    if not body.startswith("data: ") or not body.endswith("\n\n"):
        return None
    body = body[6:-2]
    if body.endswith(_DONE):
        body = body[: -len(_DONE)]
    array = body.replace(_DATA, ",")
    events = (len(body) - len(array)) // (len(_DATA) - 1) + 1  # (no second pass to count)
    if "\n" in array:
        return None  # another field, a comment, a data line of several lines
    try:
        payloads = orjson.loads(f"[{array}]")
    except orjson.JSONDecodeError:
        return None  # a broken event (skipped one by one), or what only ``json`` reads
    # One value per event, or an event held several values (or half of one): one by one.
    return payloads if len(payloads) == events else None


def _one_by_one(body: str) -> Iterator[Any]:
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
            yield loads(data)
        except ValueError:
            continue
