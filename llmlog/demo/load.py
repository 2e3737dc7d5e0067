"""Loading demo traffic into a store through the capture writer's path (``BatchWriter``).

The store's side of COPY (one backend per connection, compressing prompts) costs more per
call than generating it, so batches go out over ``WRITERS`` connections at once while the
next batch is generated: a large load is bound by the server, not by Python.
"""

from __future__ import annotations

import gc
import itertools
import queue
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from llmlog.demo.traffic import Traffic
from llmlog.store import connect
from llmlog.store.batch import BatchWriter
from llmlog.store.records import Record

if TYPE_CHECKING:
    import psycopg

BATCH = 5000  # calls per COPY transaction (fewer for small loads, so progress moves)
WRITERS = 2  # connections writing at once


@dataclass(frozen=True)
class Loaded:
    calls: int
    seconds: float
    example_trace: str | None  # a trace with several calls, for ``llmlog trace``

    @property
    def rate(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0


def open_store(cli_db: str | None = None) -> tuple[str, psycopg.Connection]:
    """Like ``connect.open_store``, but a store with no schema yet is initialised first
    (``llmlog init``). A store whose schema is behind is still refused: migrating is the
    user's decision."""
    url = connect.resolve_url(cli_db)
    fresh = connect.ensure_database(url)
    if not fresh:
        with connect.connect(url) as conn:
            fresh = connect.schema_revision(conn) is None
    if fresh:
        from llmlog.store import admin

        admin.init(cli_db)
    return connect.open_store(cli_db)


def reset(conn: psycopg.Connection) -> None:
    """Empty the store's calls and daily roll-ups."""
    conn.execute("TRUNCATE llm_calls, llm_calls_daily, llm_calls_days")


def load(
    url: str,
    *,
    calls: int,
    days: float,
    seed: int,
    end: datetime | None = None,
    writers: int = WRITERS,
    progress: Callable[[int], None] | None = None,
) -> Loaded:
    """Generate ``calls`` calls over the ``days`` before ``end`` (default now) and store
    them in the store at ``url``, over ``writers`` connections."""
    started = time.perf_counter()
    traffic = Traffic(calls=calls, days=days, seed=seed, end=end or datetime.now(UTC))
    stored = 0
    example: str | None = None
    with ExitStack() as stack:
        stack.enter_context(_fewer_gc_passes())
        idle: queue.SimpleQueue[BatchWriter] = queue.SimpleQueue()
        for _ in range(writers):
            idle.put(BatchWriter(stack.enter_context(connect.connect(url))))

        def write(batch: list[Record]) -> int:
            writer = idle.get()
            try:
                return writer.write(batch)
            finally:
                idle.put(writer)

        pool = stack.enter_context(ThreadPoolExecutor(writers, thread_name_prefix="llmlog-demo"))
        pending: deque[Future[int]] = deque()
        for batch in _batches(traffic, max(500, min(BATCH, calls // 20))):
            example = next((r["trace_id"] for r in batch if r["parent_id"]), example)
            if len(pending) == writers:
                stored += pending.popleft().result()
                if progress:
                    progress(stored)
            pending.append(pool.submit(write, batch))
        for future in pending:
            stored += future.result()
    if progress:
        progress(stored)
    return Loaded(stored, time.perf_counter() - started, example)


@contextmanager
def _fewer_gc_passes() -> Iterator[None]:
    """Collect young objects less often: records are short-lived dicts, and the default
    threshold spends about a tenth of the loader's CPU in the collector."""
    before = gc.get_threshold()
    gc.set_threshold(50_000, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _batches(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    it = iter(records)
    while batch := list(itertools.islice(it, size)):
        yield batch
