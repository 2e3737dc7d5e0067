"""Call ids: time-ordered UUIDv7 made by the client, so an id carries its own timestamp."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import uuid_utils


def new_id(at: datetime | None = None) -> uuid.UUID:
    """A fresh UUIDv7, stamped with ``at`` (default: now)."""
    if at is None:
        return _uuid_of(uuid_utils.uuid7().int)
    nanos = int(at.timestamp() * 1_000_000) * 1000
    return uuid.UUID(bytes=uuid_utils.uuid7(nanoseconds=nanos).bytes)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _uuid_of(value: int) -> uuid.UUID:
    """``uuid.UUID(int=value)`` without its argument checks (a call id is made per call,
    on the application's thread)."""
    made = object.__new__(uuid.UUID)
    object.__setattr__(made, "int", value)
    object.__setattr__(made, "is_safe", uuid.SafeUUID.unknown)
    return made


def id_time(call_id: uuid.UUID) -> datetime | None:
    """The millisecond timestamp inside a UUIDv7, or None for any other kind of UUID."""
    value = call_id.int
    if (value >> 76) & 0xF != 7 or (value >> 62) & 0x3 != 0x2:  # version 7, RFC 4122 variant
        return None
    return _EPOCH + timedelta(milliseconds=value >> 80)


def ts_of(call_id: uuid.UUID) -> datetime:
    """The call time a new record gets: the id's own millisecond, so ``ts`` is derivable."""
    at = id_time(call_id)
    if at is None:
        raise ValueError(f"{call_id} is not a UUIDv7")
    return at


def prefix_range(prefix: str) -> tuple[uuid.UUID, uuid.UUID, datetime, datetime]:
    """The ids a hex prefix (no dashes) covers, and the call times those ids carry.

    Computed by the client, so a lookup by prefix prunes partitions while planning.
    """
    low, high = prefix.ljust(32, "0"), prefix.ljust(32, "f")
    return uuid.UUID(low), uuid.UUID(high), _millis(low[:12]), _millis(high[:12])


_LATEST = datetime.max.replace(tzinfo=UTC)


def _millis(hex_digits: str) -> datetime:
    try:
        return _EPOCH + timedelta(milliseconds=int(hex_digits, 16))
    except OverflowError:  # past year 9999: no call was made then
        return _LATEST
