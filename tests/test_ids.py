"""Call ids: UUIDv7 that carry their own millisecond and sort in the order they were made."""

from __future__ import annotations

import itertools
import os
import threading
import uuid
from datetime import UTC, datetime

from llmlog.ids import id_of, id_time, new_id, new_key, ts_of


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


def test_an_id_is_made_from_its_key_the_same_on_any_thread() -> None:
    key = new_key()
    made: list[uuid.UUID] = []
    thread = threading.Thread(target=lambda: made.append(id_of(key)))
    thread.start()
    thread.join()
    assert made == [id_of(key)]
    assert id_time(made[0]) == datetime.fromtimestamp(key[0] // 1_000_000 / 1000, UTC)


def test_keys_made_in_one_process_never_give_the_same_id() -> None:
    nanos = new_key()[0]  # one millisecond, so only the sequence tells them apart
    made = {id_of((nanos, new_key()[1])) for _ in range(20_000)}
    assert len(made) == 20_000


def test_a_forked_child_starts_its_own_sequence() -> None:
    read, write = os.pipe()
    parent_next = new_key()[1] + 1
    pid = os.fork()
    if pid == 0:  # the child: report its next sequence number and leave
        os.write(write, str(new_key()[1]).encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child_next = int(os.read(read, 100))
    os.close(read)
    os.close(write)
    assert child_next != parent_next  # a fresh random start, not the parent's count
