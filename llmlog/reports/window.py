"""Time bounds from the command line: ``15m``, ``24h``, ``7d``, ``2w``, ``now``, or a date/time.

Bounds are computed here, in the client, and bound as timestamps: PostgreSQL then prunes
daily partitions while planning, which ``now() - interval`` in SQL would prevent. A date or
a time without a zone is read as UTC, the time zone of llmlog's days; ``infinity`` and
``-infinity`` leave a bound open.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from llmlog.errors import UsageError

_RELATIVE = re.compile(r"^(\d+)\s*(s|m|min|h|d|w)$")
_UNITS = {"s": "seconds", "m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}
RANGE_HINT = "times run from year 1 to 9999; use a smaller duration or a date"
HINT = "use a duration like 15m, 24h, 7d, 2w, or a date/time like 2026-11-01 or 2026-11-01T09:30"


def is_relative(text: str) -> bool:
    """Whether ``text`` is a duration ago (``15m``, ``7d``…) rather than a moment."""
    return bool(_RELATIVE.match(text.strip().lower()))


def parse_time(text: str, now: datetime | None = None) -> datetime:
    """The moment ``text`` names: a duration ago, ``now``, or an ISO date/time."""
    now = now or datetime.now(UTC)
    value = text.strip().lower()
    if value == "now":
        return now
    if value in ("infinity", "-infinity"):
        return (datetime.max if value == "infinity" else datetime.min).replace(tzinfo=UTC)
    match = _RELATIVE.match(value)
    if match:
        try:
            return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        except (OverflowError, ValueError):  # before year 1, or too many digits for an int
            raise UsageError(f"time out of range: {text!r}", hint=RANGE_HINT) from None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"not a time: {text!r}", hint=HINT) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
