"""The writer's overflow: calls a full queue turned away, spooled off the caller's thread.

The queue fills when the store hangs (the store thread waits out each connect timeout,
so the build thread waits for it) or when calls come faster than the store takes them.
Spooling such a call where it is made would cost the application its record's build
and an fsync, under the lock the writer's own spooling holds (+1.4 ms a short call,
docs/capture.md). Instead the caller appends it to a list, and a thread started the
first time it happens spools that list in bursts, one fsync a burst. When the list
holds ``queue_size`` items too, the caller spools the call itself: back-pressure
rather than loss.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

log = logging.getLogger("llmlog")


def drain_when_woken(wake: threading.Event, interval: float, drain: Callable[[], bool]) -> None:
    """A writer thread's loop: ``drain()`` whenever ``wake`` is set or ``interval`` seconds
    pass, until it returns False (a stop marker); whatever it raises is logged, never fatal."""
    while True:
        wake.wait(interval)
        wake.clear()
        try:
            if not drain():
                return
        except Exception:  # the writer must survive anything
            log.exception("llmlog: writer error")


class Marker:
    """A flush: ``done`` is set once everything queued before it is stored or spooled
    (with ``stop``, the thread that reached it then ends)."""

    stop = False

    def __init__(self) -> None:
        self.done = threading.Event()


class Spill:
    """A list of overflowed items and the thread that spools it.

    ``spool(items)`` spools a list of calls and feedback (the writer's, building each
    call's record); markers (the writer's flush and stop) are set once everything
    before them is spooled, and a stop marker ends the thread."""

    def __init__(
        self, spool: Callable[[list[Any]], None], *, limit: int, burst: int, interval: float
    ) -> None:
        self._spool = spool
        self._limit = limit
        self._burst = max(1, min(burst, limit // 2))
        self._interval = interval
        self.items: deque[Any] = deque()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self.running = False

    def take(self, item: Any) -> bool:
        """Queue ``item`` for the spill thread; False when the list is full (the caller
        spools it then)."""
        items = self.items
        if len(items) >= self._limit:
            return False
        items.append(item)
        if not self.running:
            self._start()
        if len(items) >= self._burst:  # (in bursts, as the build thread works)
            self._wake.set()
        return True

    def mark(self, marker: Marker) -> None:
        """Set ``marker.done`` once everything taken before it is spooled."""
        self.items.append(marker)
        self._wake.set()

    def _start(self) -> None:
        with self._lock:
            if not self.running:
                threading.Thread(target=self._loop, name="llmlog-spill", daemon=True).start()
                self.running = True

    def _loop(self) -> None:
        drain_when_woken(self._wake, self._interval, self._drain)

    def _drain(self) -> bool:
        """Spool everything taken; False once a stop marker was reached."""
        items = self.items
        while items:
            burst: list[Any] = []
            marker: Marker | None = None
            while items and len(burst) < self._burst:
                item = items.popleft()
                if isinstance(item, Marker):
                    marker = item
                    break
                burst.append(item)
            self._spool(burst)
            if marker is not None:
                marker.done.set()
                if marker.stop:
                    return False
        return True
