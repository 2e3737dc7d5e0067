"""Call ids: time-ordered UUIDv7 made by the client, so an id carries its own timestamp."""

from __future__ import annotations

import itertools
import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

# UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, version 7, a 12-bit sequence (method 1:
# ids made in one millisecond by one process sort in the order they were made, 4,096 at a
# time), the RFC 4122 variant, 62 pseudo-random bits.
#
# A call's id is worked out from a *key*, (nanoseconds, sequence number), which is all the
# application's thread takes for a call (two C calls): the id itself is made when someone
# asks (``last_call_id()``, the writer), always the same from the same key. The 62 bits
# are the sequence number mixed by an odd multiplier (one-to-one, so never repeated in a
# process); each process starts its sequence at a random point, so two processes collide
# no more often than random bits would.
_VERSION_VARIANT = (0x7 << 76) | (0b10 << 62)
_MIX = 0x9E3779B97F4A7C15  # odd: multiplying by it is one-to-one modulo 2**62
_LOW_62 = (1 << 62) - 1
now_ns = time.time_ns

Key = tuple[int, int]


sequence: itertools.count[int]  # this process's: a forked child starts its own


def _fresh_sequence() -> None:
    global sequence
    sequence = itertools.count(random.getrandbits(62))  # next() is atomic under the GIL


_fresh_sequence()
os.register_at_fork(after_in_child=_fresh_sequence)


def new_key() -> Key:
    """What a call's id is made from, taken now: cheap enough for every call. (The
    capture path writes this out as ``(now_ns(), next(ids.sequence))``: ``sequence`` is
    replaced in a forked child, so it is read from the module each time.)"""
    return now_ns(), next(sequence)


def id_of(key: Key) -> uuid.UUID:
    """The UUIDv7 of a key (the same key always gives the same id)."""
    nanos, number = key
    return _uuid_of(
        (nanos // 1_000_000) << 80
        | _VERSION_VARIANT
        | (number & 0xFFF) << 64
        | (number * _MIX) & _LOW_62
    )


def stable_id(millis: int, digest: bytes) -> uuid.UUID:
    """The UUIDv7 of a call made at ``millis`` (Unix ms) whose other 74 bits are taken from
    ``digest`` (at least 10 bytes, e.g. a hash of what names the call elsewhere): the same
    inputs always give the same id, so a call received twice is stored once."""
    bits = int.from_bytes(digest[:10], "big")
    return _uuid_of(millis << 80 | _VERSION_VARIANT | (bits >> 64 & 0xFFF) << 64 | bits & _LOW_62)


def new_id(at: datetime | None = None) -> uuid.UUID:
    """A fresh UUIDv7, stamped with ``at`` (default: now)."""
    if at is None:
        return id_of(new_key())
    return id_of((int(at.timestamp() * 1000) * 1_000_000, next(sequence)))


def _uuid_of(value: int) -> uuid.UUID:
    """``uuid.UUID(int=value)`` without its argument checks."""
    made = _new(uuid.UUID)
    _set(made, "int", value)
    _set(made, "is_safe", _UNKNOWN)
    return made


_new, _set, _UNKNOWN = object.__new__, object.__setattr__, uuid.SafeUUID.unknown


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def is_v7(call_id: object) -> bool:
    """Whether ``call_id`` is a UUIDv7 (version 7, RFC 4122 variant): an id that carries
    its call's millisecond. Ids made by other tools may be any UUID."""
    if not isinstance(call_id, uuid.UUID):
        return False
    value = call_id.int
    return (value >> 76) & 0xF == 7 and (value >> 62) & 0x3 == 0x2


def id_time(call_id: uuid.UUID) -> datetime | None:
    """The millisecond timestamp inside a UUIDv7; None for any other kind of UUID, and for
    a UUIDv7 past year 9999 (which no call has)."""
    if not is_v7(call_id):
        return None
    return _millis_time(call_id.int >> 80)


def ts_of(call_id: uuid.UUID) -> datetime:
    """The call time a new record gets: the id's own millisecond, so ``ts`` is derivable."""
    at = id_time(call_id)
    if at is None:
        raise ValueError(f"{call_id} is not a UUIDv7")
    return at


def prefix_range(prefix: str) -> tuple[uuid.UUID, uuid.UUID, datetime, datetime]:
    """The ids a hex prefix (no dashes) covers, and the call times those ids carry if they
    are UUIDv7s (``prefix_is_v7``).

    Computed by the client, so a lookup by prefix prunes partitions while planning.
    """
    low, high = prefix.ljust(32, "0"), prefix.ljust(32, "f")
    return uuid.UUID(low), uuid.UUID(high), _millis(low[:12]), _millis(high[:12])


def prefix_is_v7(prefix: str) -> bool:
    """Whether the ids a hex prefix (no dashes) covers can be UUIDv7s (the version is its
    13th digit, the variant its 17th)."""
    return (len(prefix) < 13 or prefix[12] == "7") and (len(prefix) < 17 or prefix[16] in "89ab")


_LATEST = datetime.max.replace(tzinfo=UTC)


def _millis(hex_digits: str) -> datetime:
    return _millis_time(int(hex_digits, 16)) or _LATEST


def _millis_time(millis: int) -> datetime | None:
    try:
        return _EPOCH + timedelta(milliseconds=millis)
    except OverflowError:  # past year 9999: no call was made then
        return None
