"""Whether a call record can be stored: each value of a type, and in the range, of its column.

The writer checks what a ``redact=`` hook hands back with it (a record llmlog builds is
right by construction), so that one bad record is dropped alone, with its reason,
rather than failing its batch.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from llmlog.store.records import COLUMNS, REQUIRED

INT_RANGES = {
    **dict.fromkeys(
        ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
         "reasoning_tokens"),
        (-(2**31), 2**31 - 1),
    ),
    "http_status": (-(2**15), 2**15 - 1),
    "feedback": (-1, 1),
}  # fmt: skip
FLOATS = frozenset({"ttft_ms", "latency_ms"})
UUIDS = frozenset({"id", "parent_id", "replay_of"})
JSON_OBJECTS = frozenset({"request", "response", "metadata"})
MAX_COST = Decimal(10) ** 10  # numeric(20, 10)
_KNOWN = frozenset(COLUMNS)


def problem(record: Any) -> str | None:
    """What makes ``record`` unstorable, in a few words naming the column; None if
    nothing does. Never raises."""
    if not isinstance(record, dict):
        return f"not a record but a {type(record).__name__}"
    unknown = sorted(str(k) for k in record.keys() - _KNOWN)
    if unknown:
        return f"unknown column(s): {', '.join(unknown)}"
    missing = [name for name in REQUIRED if record.get(name) in (None, "")]
    if missing:
        return f"missing column(s): {', '.join(missing)}"
    for name, value in record.items():
        if value is not None:
            wrong = _wrong(name, value)
            if wrong:
                return f"{name}: {wrong}"
    return None


def _wrong(name: str, value: Any) -> str | None:
    if name in INT_RANGES:
        if type(value) is bool or not isinstance(value, int):
            return f"{_kind(value)} where an integer belongs"
        low, high = INT_RANGES[name]
        return None if low <= value <= high else f"{value} is out of range"
    if name in FLOATS:
        if type(value) is bool or not isinstance(value, int | float):
            return f"{_kind(value)} where a number belongs"
        return None if math.isfinite(value) else f"{value} is not finite"
    if name in UUIDS:
        return None if isinstance(value, uuid.UUID) else f"{_kind(value)} where a UUID belongs"
    if name == "ts":
        if not isinstance(value, datetime):
            return f"{_kind(value)} where a datetime belongs"
        return None if value.tzinfo is not None else "a datetime without a time zone"
    if name == "cost_usd":
        if type(value) is bool or not isinstance(value, Decimal | int | float):
            return f"{_kind(value)} where a number belongs"
        if isinstance(value, float) and not math.isfinite(value):
            return f"{value} is not finite"
        return None if abs(Decimal(value)) < MAX_COST else f"{value} is out of range"
    if name == "streamed":
        return None if type(value) is bool else f"{_kind(value)} where a boolean belongs"
    if name in JSON_OBJECTS:
        return None if isinstance(value, dict) else f"{_kind(value)} where an object belongs"
    if name == "tool_calls":
        return None if isinstance(value, list) else f"{_kind(value)} where a list belongs"
    if name == "trace_id" and isinstance(value, uuid.UUID):
        return None
    return None if isinstance(value, str) else f"{_kind(value)} where text belongs"


def _kind(value: object) -> str:
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name} ({value!r:.40})"
