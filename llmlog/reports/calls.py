"""Reports about individual calls: tail (and follow), one call in full, a trace."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from llmlog.errors import NotFoundError, UsageError
from llmlog.ids import id_time, prefix_is_v7, prefix_range
from llmlog.reports.filters import Filters
from llmlog.reports.run import Row, run
from llmlog.reports.window import parse_time

if TYPE_CHECKING:
    import psycopg

# Calls land after their ts (the writer batches), so following re-reads this much history.
FOLLOW_OVERLAP = timedelta(seconds=60)
# A trace found from one of its calls is looked for this far either side of that call.
TRACE_SPAN = timedelta(days=1)
_HEX = re.compile(r"^[0-9a-f]{1,32}$")


def tail(conn: psycopg.Connection, filters: Filters, limit: int = 50) -> list[Row]:
    """The newest ``limit`` calls; without ``since``, the last day first, then all time."""
    rows = run(conn, "tail", {**filters.params(), "limit": limit})
    if filters.since is None and len(rows) < limit:
        everything = replace(filters, since=parse_time("-infinity"))
        rows = run(conn, "tail", {**everything.params(), "limit": limit})
    return rows


def follow(
    conn: psycopg.Connection,
    filters: Filters,
    *,
    shown: Sequence[Row] = (),
    poll: float = 1.0,
    stop: Callable[[], bool] = lambda: False,
) -> Iterator[list[Row]]:
    """Batches of calls as they land, oldest first, until ``stop()`` (or Ctrl-C).

    Each poll reads from the watermark (the newest ts seen) minus FOLLOW_OVERLAP through the
    ts index, so late-arriving rows are still seen; ids already printed (``shown`` at the
    start) are skipped.
    """
    watermark = max([datetime.now(UTC), *(row["ts"] for row in shown)])
    seen: dict[uuid.UUID, datetime] = {row["id"]: row["ts"] for row in shown}
    while not stop():
        since = watermark - FOLLOW_OVERLAP
        window = replace(filters, since=max(since, filters.since or since))
        rows = run(conn, "tail", {**window.params(), "limit": 10_000})
        fresh = [row for row in reversed(rows) if row["id"] not in seen]
        for row in fresh:
            seen[row["id"]] = row["ts"]
            watermark = max(watermark, row["ts"])
        seen = {k: ts for k, ts in seen.items() if ts >= since}
        if fresh:
            yield fresh
        time.sleep(poll)


def normalise_prefix(text: str) -> str:
    """A call id or id prefix as lowercase hex digits; UsageError when it is not one."""
    prefix = text.strip().lower().replace("-", "")
    if not _HEX.match(prefix):
        raise UsageError(
            f"not a call id or id prefix: {text!r}", hint="give hex digits, e.g. 0193a1b2"
        )
    return prefix


def find_call(conn: psycopg.Connection, id_or_prefix: str) -> Row:
    """The ``id`` and ``ts`` of the one call whose id starts with ``id_or_prefix``.

    A UUIDv7 prefix is looked for in the time its digits carry, pruning partitions while
    planning; an id made by another tool carries no time, so what is not found there is
    looked for in every partition.
    """
    prefix = normalise_prefix(id_or_prefix)
    lo, hi, lo_ts, hi_ts = prefix_range(prefix)
    found = []
    if prefix_is_v7(prefix):
        found = run(conn, "call_match", {"lo": lo, "hi": hi, "lo_ts": lo_ts, "hi_ts": hi_ts})
    if not found:
        found = run(conn, "call_match", {"lo": lo, "hi": hi})
    if not found:
        raise NotFoundError(f"no call with id {id_or_prefix}", hint="`llmlog tail` shows ids")
    if len(found) > 1:
        raise UsageError(
            f"id prefix {id_or_prefix} matches more than one call",
            hint="give more characters of the id",
        )
    return found[0]


def show(conn: psycopg.Connection, id_or_prefix: str) -> dict[str, Any]:
    """Everything about one call: its row, its place in its trace, its replays and its
    judge scores."""
    found = find_call(conn, id_or_prefix)
    call_id = found["id"]
    call = run(conn, "call", found)[0]
    nodes = _trace_rows(conn, call["trace_id"], call["ts"])
    position = next((n for n, row in enumerate(nodes, 1) if row["id"] == call_id), None)
    call["trace"] = {
        "trace_id": call["trace_id"],
        "position": position,
        "calls": len(nodes),
        "parent_id": call["parent_id"],
        "children": [row["id"] for row in nodes if row["parent_id"] == call_id],
    }
    call["replays"] = run(conn, "replays", found)
    call["scores"] = run(conn, "call_scores", found)
    return call


def trace(conn: psycopg.Connection, ref: str) -> list[Row]:
    """The calls of a trace, given its trace id or the id (prefix) of one of its calls."""
    rows = _trace_rows(conn, ref.strip(), _uuid_time(ref))
    if rows:
        return rows
    try:
        found = find_call(conn, ref)
    except (NotFoundError, UsageError):
        raise NotFoundError(
            f"no trace or call with id {ref}", hint="`llmlog tail` shows ids"
        ) from None
    call = run(conn, "call", found)[0]
    return _trace_rows(conn, call["trace_id"], call["ts"])


def _trace_rows(conn: psycopg.Connection, trace_id: str, near: datetime | None) -> list[Row]:
    bounds = {} if near is None else {
        "since": max(near, _EARLIEST + TRACE_SPAN) - TRACE_SPAN,
        "until": min(near, _LATEST - TRACE_SPAN) + TRACE_SPAN,
    }  # fmt: skip
    return run(conn, "trace", {"trace_id": trace_id, **bounds})


_EARLIEST, _LATEST = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)


def _uuid_time(text: str) -> datetime | None:
    try:
        return id_time(uuid.UUID(text.strip()))
    except (ValueError, OverflowError):  # not a UUID, or a UUIDv7 of after year 9999
        return None
