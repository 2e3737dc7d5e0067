"""Loading demo traffic into a store through the capture writer's path (``BatchWriter``)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from llmlog.demo.traffic import Traffic
from llmlog.store.batch import BatchWriter
from llmlog.store.records import Record

if TYPE_CHECKING:
    import psycopg

BATCH = 5000  # calls per COPY transaction (fewer for small loads, so progress moves)
DRIFT_FEATURE = "ticket_summary"  # its prompt version changes mid-period


@dataclass(frozen=True)
class Loaded:
    calls: int
    seconds: float
    example_trace: str | None  # a trace with several calls, for ``llmlog trace``
    drift_feature: str

    @property
    def rate(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0


def reset(conn: psycopg.Connection) -> None:
    """Empty the store's calls and daily roll-ups."""
    conn.execute("TRUNCATE llm_calls, llm_calls_daily")


def load(
    conn: psycopg.Connection,
    *,
    calls: int,
    days: float,
    seed: int,
    end: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> Loaded:
    """Generate ``calls`` calls over the ``days`` before ``end`` (default now) and store them."""
    started = time.perf_counter()
    traffic = Traffic(calls=calls, days=days, seed=seed, end=end or datetime.now(UTC))
    writer = BatchWriter(conn)
    stored = 0
    example: str | None = None
    # Generating batch k+1 overlaps writing batch k: the writer thread mostly waits on COPY.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="llmlog-demo") as pool:
        pending: Future[int] | None = None
        for batch in _batches(traffic, max(500, min(BATCH, calls // 20))):
            example = next((r["trace_id"] for r in batch if r["parent_id"]), example)
            if pending is not None:
                stored += pending.result()
                if progress:
                    progress(stored)
            pending = pool.submit(writer.write, batch)
        if pending is not None:
            stored += pending.result()
    if progress:
        progress(stored)
    return Loaded(stored, time.perf_counter() - started, example, DRIFT_FEATURE)


def _batches(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    it = iter(records)
    while batch := list(itertools.islice(it, size)):
        yield batch
