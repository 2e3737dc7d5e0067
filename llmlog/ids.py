"""Call ids: time-ordered UUIDv7 made by the client, so an id carries its own timestamp."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import uuid_utils


def new_id(at: datetime | None = None) -> uuid.UUID:
    """A fresh UUIDv7, stamped with ``at`` (default: now)."""
    if at is None:
        return uuid.UUID(bytes=uuid_utils.uuid7().bytes)
    nanos = int(at.timestamp() * 1_000_000) * 1000
    return uuid.UUID(bytes=uuid_utils.uuid7(nanoseconds=nanos).bytes)


def id_time(call_id: uuid.UUID) -> datetime | None:
    """The millisecond timestamp inside a UUIDv7, or None for any other kind of UUID."""
    if call_id.version != 7:
        return None
    millis = int.from_bytes(call_id.bytes[:6], "big")
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def ts_of(call_id: uuid.UUID) -> datetime:
    """The call time a new record gets: the id's own millisecond, so ``ts`` is derivable."""
    at = id_time(call_id)
    if at is None:
        raise ValueError(f"{call_id} is not a UUIDv7")
    return at
