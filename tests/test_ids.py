"""Call ids: UUIDv7 that carry their own millisecond and sort in the order they were made."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from llmlog.ids import id_time, new_id, ts_of


def test_a_new_id_is_a_uuid7_stamped_with_its_millisecond() -> None:
    at = datetime(2026, 3, 4, 5, 6, 7, 891_000, tzinfo=UTC)
    made = new_id(at)
    assert (made.version, made.variant) == (7, "specified in RFC 4122")
    assert ts_of(made) == at
    before = datetime.now(UTC).replace(microsecond=datetime.now(UTC).microsecond // 1000 * 1000)
    now = ts_of(new_id())
    assert 0 <= (now - before).total_seconds() < 1


def test_ids_made_in_one_millisecond_are_distinct_and_in_order() -> None:
    at = datetime(2026, 3, 4, tzinfo=UTC)
    made = [new_id(at) for _ in range(4000)]
    assert len(set(made)) == len(made)
    out_of_order = sum(1 for a, b in itertools.pairwise(made) if b < a)
    assert out_of_order <= 1  # where the 12-bit sequence wraps, if it does
    assert {id_time(m) for m in made} == {at}
