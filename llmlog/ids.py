"""Call ids: time-ordered UUIDv7 made by the client, so an id carries its own timestamp."""

from __future__ import annotations

import itertools
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

# UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, version 7, a 12-bit sequence (method 1:
# ids made in one millisecond by one process sort in the order they were made, 4,096 at a
# time), the RFC 4122 variant, 62 random bits. Made from Python ints: a call id is made on
# the application's thread for every call, and this is the cheapest way found there.
_VERSION_VARIANT = (0x7 << 76) | (0b10 << 62)
_sequence = itertools.count()  # next() is atomic under the GIL
_random_bits = random.getrandbits  # the random module reseeds itself in a forked child
_now_ns = time.time_ns


def new_id(at: datetime | None = None) -> uuid.UUID:
    """A fresh UUIDv7, stamped with ``at`` (default: now)."""
    millis = _now_ns() // 1_000_000 if at is None else int(at.timestamp() * 1000)
    return _uuid_of(
        (millis << 80) | _VERSION_VARIANT | (next(_sequence) & 0xFFF) << 64 | _random_bits(62)
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _uuid_of(value: int) -> uuid.UUID:
    """``uuid.UUID(int=value)`` without its argument checks (a call id is made per call,
    on the application's thread)."""
    made = _new(uuid.UUID)
    _set(made, "int", value)
    _set(made, "is_safe", _UNKNOWN)
    return made


_new, _set, _UNKNOWN = object.__new__, object.__setattr__, uuid.SafeUUID.unknown


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
