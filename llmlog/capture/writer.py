"""The process-wide background writer: queue -> COPY lines -> batched COPY, or the spool.

- ``submit`` never blocks and never raises. A call the full queue turns away is spooled
  by a thread of its own (``spill``), or by the caller when that one is as far behind
  (back-pressure rather than loss). A spool that cannot be written counts the call as
  dropped.
- A build thread turns exchanges into records (parse, cost, privacy) and those into COPY
  lines in bursts, every ``flush_interval`` or as soon as ``batch_size`` calls are
  queued; a store thread sends the built batches with COPY (see "the threads" below).
- Store unreachable -> the batch goes to the spool; the store is retried after a back-off
  (1 s doubling to 30 s). Rows the store refuses go to ``spool/rejects`` (counted dropped).
- Accounting: ``made = stored + spooled + dropped + queued`` at any moment (``stats()``).
- At interpreter exit the queue is flushed with a bounded wait (``exit_timeout``); what
  is still queued then is spooled from the exiting thread (storing it twice later is
  harmless: rows are idempotent on id).
- After ``os.fork`` the child starts its own writer on first use; it never touches the
  parent's queue, thread or connection. A ``multiprocessing`` child flushes at its end
  too (it skips atexit: ``_at_exit``).
"""

from __future__ import annotations

import atexit
import itertools
import json
import logging
import os
import queue
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from llmlog import settings as settings_mod
from llmlog import spool as spool_mod
from llmlog.capture import sigterm
from llmlog.capture.build import build, fallback
from llmlog.capture.exchange import Exchange
from llmlog.capture.spill import Marker, Spill, drain_when_woken
from llmlog.settings import Settings
from llmlog.spool import Spool
from llmlog.store.batch import from_row, to_row
from llmlog.store.records import Record, problem, to_json

log = logging.getLogger("llmlog")

BACKOFF_MAX = 30.0
PUBLISH_EVERY = 1.0  # s between two writes of this process's counters for ``llmlog status``
# While working through a burst, let a waiting application thread have the interpreter at
# least this often (s). CPython's own switch interval is 5 ms; a sleep(0) costs ~80 us.
YIELD_EVERY = 0.001


@dataclass(frozen=True)
class Feedback:
    call_id: uuid.UUID
    value: int
    note: str | None


@dataclass
class Built:
    """Calls made into COPY lines on the build thread (their records are gone: a record
    holds many small objects for the garbage collector to walk, a line is one bytes)."""

    rows: list[bytes] = field(default_factory=list)
    days: set[date] = field(default_factory=set)


class _Stop(Marker):
    """Write what is queued, close the connection, end the thread."""

    stop = True


class Counters:
    """The accounting. Calls made are counted on the application's threads without a lock:
    ``next()`` on an ``itertools.count`` is atomic. Reading that count takes a number
    from it too, so reads are counted (under the lock) and taken off."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._made = itertools.count()
        self.made = self._made.__next__
        self._reads = 0
        self.values = dict.fromkeys(("stored", "spooled", "dropped", "rejected"), 0)

    def add(self, **amounts: int) -> None:
        with self._lock:
            for key, amount in amounts.items():
                self.values[key] += amount

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            made = next(self._made) - self._reads
            self._reads += 1
            return {"made": made, **self.values}


class Writer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._items: deque[Any] = deque()
        self._wake = threading.Event()
        self.counters = Counters()
        self.spool = Spool(settings.spool_path())
        self.feedback_spool = Spool(settings.spool_path(), kind="feedback")
        self.store_up: bool | None = None
        self._conn: Any = None
        self._batch_writer: Any = None
        self._retry_at = 0.0
        self._backoff = 1.0
        self._published = 0.0
        self._inflight = Built()  # the batch the store thread is writing
        self._building = Built()  # the batch the build thread is filling
        # Built batches wait here for the store thread (two at most: back-pressure on the
        # build thread, never on the application).
        self._built: queue.Queue[Any] = queue.Queue(maxsize=2)
        self.finalizer: Any = None  # multiprocessing's exit hook, in a process it started
        # Calls (and feedback) the full queue turned away, spooled by a thread of its own.
        self._spill = Spill(
            self._spool_overflow, limit=settings.queue_size, burst=settings.batch_size,
            interval=settings.flush_interval,
        )  # fmt: skip
        for target, name in ((self._run, "llmlog-writer"), (self._store_loop, "llmlog-store")):
            threading.Thread(target=target, name=name, daemon=True).start()

    # --- the application's side ---------------------------------------------------

    def feedback(self, item: Feedback) -> None:
        if len(self._items) >= self.settings.queue_size:
            self.overflow(item)
            return
        self._items.append(item)

    def overflow(self, item: Exchange | Feedback) -> None:
        """Take a call (or feedback) the full queue turned away (``spill``)."""
        if not self._spill.take(item):
            self._spool_overflow([item])  # (the spill thread is that far behind too)
        self._wake.set()  # (a queue smaller than a batch would wait for flush_interval)

    def flush(self, timeout: float | None = None, *, stop: bool = False) -> bool:
        """Wait until everything queued before now is stored or spooled."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if self._spill.running:  # first what overflowed (a stopped spill opens no file)
            spilled = _Stop() if stop else Marker()
            self._spill.mark(spilled)
            if not spilled.done.wait(timeout):
                return False
        marker = _Stop() if stop else Marker()
        self._items.append(marker)
        self._wake.set()
        return marker.done.wait(None if deadline is None else max(0, deadline - time.monotonic()))

    def stats(self) -> dict[str, Any]:
        values: dict[str, Any] = self.counters.snapshot()
        values["queued"] = values["made"] - values["stored"] - values["spooled"] - values["dropped"]
        values["store_up"] = self.store_up
        return {**values, **unconfigured()}

    def at_exit(self) -> None:
        if self.flush(self.settings.exit_timeout):
            return
        rows = self._inflight.rows + self._building.rows
        while True:
            try:
                built = self._built.get_nowait()
            except queue.Empty:
                break
            if isinstance(built, Built):
                rows += built.rows
        records = []
        for items in (self._spill.items, self._items):
            while items:  # (popped one by one: the application may still be appending)
                item = items.popleft()
                if isinstance(item, Exchange):
                    records.append(self._record(item))
        if rows or records:
            log.warning(
                "llmlog: the store did not answer within %.1f s at exit; spooling %d call(s)",
                self.settings.exit_timeout,
                len(rows) + len(records),
            )
            self._spool_rows(rows, count=False)
            self._spool_records(records, count=False)

    # --- the threads ---------------------------------------------------------------
    #
    # The build thread wakes every flush_interval (or when a batch's worth is queued, or
    # on flush) and works through the queue in one burst, handing the GIL over every
    # millisecond. Working in bursts rather than per call keeps most of the application's
    # calls free of any competition for the interpreter. It turns each call into its
    # COPY line; built batches go to the store thread, which only sends bytes, so making
    # the next batch overlaps PostgreSQL ingesting the last one.
    # Markers (flush, stop) and feedback follow the batches in order.

    def _run(self) -> None:
        drain_when_woken(self._wake, self.settings.flush_interval, self._drain)

    def _drain(self) -> bool:
        """Process everything queued; False once a stop marker was handled."""
        batch = self._building = Built()
        yielded = time.perf_counter()
        while self._items:
            item = self._items.popleft()
            if isinstance(item, Exchange):
                self._add(batch, self._record(item))
                if time.perf_counter() - yielded > YIELD_EVERY:
                    time.sleep(0)  # hand the GIL over: an application thread may be waiting
                    yielded = time.perf_counter()
                if len(batch.rows) >= self.settings.batch_size:
                    self._hand(batch)
                    batch = self._building = Built()
                continue
            self._hand(batch)
            batch = self._building = Built()
            self._built.put(item)
            if isinstance(item, _Stop):
                return False
        self._hand(batch)
        self._building = Built()
        return True

    def _add(self, batch: Built, record: Record) -> None:
        """Make ``record`` a COPY line of ``batch``; a record that cannot be one (a
        ``redact=`` hook's doing) is dropped alone, with its reason."""
        reason = problem(record) if self.settings.redact is not None else None
        if reason is None:
            try:
                row = to_row(record, self.settings.max_payload_bytes)
                day = record["ts"].date()
            except Exception as exc:
                reason = f"cannot serialise: {exc}"
        if reason is not None:
            self._reject([(record, reason)])
            return
        batch.rows.append(row)
        batch.days.add(day)

    def _hand(self, batch: Built) -> None:
        if batch.rows:
            self._built.put(batch)

    def _store_loop(self) -> None:
        while True:
            item = self._built.get()
            try:
                if isinstance(item, Built):
                    self._write(item)
                elif isinstance(item, Feedback):
                    self._apply_feedback(item)
                elif isinstance(item, _Stop):
                    self._publish(force=True)
                    self._close()
                    item.done.set()
                    return
                elif isinstance(item, Marker):
                    self._publish(force=True)
                    item.done.set()
            except Exception:  # the writer must survive anything, and say what it lost
                log.exception("llmlog: writer error")
                if isinstance(item, Built):
                    self.counters.add(dropped=len(item.rows))

    def _record(self, exchange: Exchange) -> Record:
        try:
            return build(exchange, settings_mod.current())
        except Exception:
            log.warning("llmlog: could not parse a %s call; storing its outline", exchange.endpoint)
            log.debug("llmlog: parse failure", exc_info=True)
            return fallback(exchange)

    def _write(self, batch: Built) -> None:
        self._inflight = batch
        try:
            writer = self._store()
            if writer is None:
                self._spool_rows(batch.rows)
                return
            refused: list[tuple[Record, str]] = []
            try:
                writer.write_rows(batch.rows, batch.days, refused)
            except Exception as exc:
                self._store_failed(exc)
                self._spool_rows(batch.rows)
                return
            self.counters.add(stored=len(batch.rows) - len(refused))
            if refused:
                self._reject(refused)
            self.spool.close()
        finally:
            self._inflight = Built()
            self._publish()

    def _publish(self, *, force: bool = False) -> None:
        """Leave this process's counters where ``llmlog status`` finds them (at most once
        every ``PUBLISH_EVERY`` seconds, and at every flush)."""
        now = time.monotonic()
        if not force and now - self._published < PUBLISH_EVERY:
            return
        self._published = now
        try:
            spool_mod.publish_stats(self.spool.directory, self.stats())
        except OSError:
            log.debug("llmlog: cannot write capture stats", exc_info=True)

    def _store(self) -> Any:
        """The batch writer on a live connection, or None while the store is down."""
        if self._batch_writer is not None and not self._conn.closed:
            return self._batch_writer
        if time.monotonic() < self._retry_at:
            return None
        from llmlog.store import connect
        from llmlog.store.batch import BatchWriter

        try:
            url = connect.resolve_url(self.settings.database_url)
            conn = connect.connect(url)
            connect.check_schema(conn, url)
        except Exception as exc:
            self._store_failed(exc)
            return None
        self._conn = conn
        self._batch_writer = BatchWriter(conn)
        if self.store_up is False:
            log.warning("llmlog: the store is back; new calls are stored again")
        self.store_up = True
        self._backoff = 1.0
        return self._batch_writer

    def _close(self) -> None:
        self.spool.close()
        self.feedback_spool.close()
        if self._conn is not None:
            self._conn.close()
        self._conn = self._batch_writer = None

    def _store_failed(self, exc: Exception) -> None:
        if self.store_up is not False:
            log.warning(
                "llmlog: cannot store calls (%s); spooling to %s until it is back "
                "(load them with `llmlog ingest --spool`)",
                getattr(exc, "message", None) or type(exc).__name__,
                self.spool.directory,
            )
        self.store_up = False
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                log.debug("llmlog: closing a broken connection failed", exc_info=True)
        self._conn = self._batch_writer = None
        self._retry_at = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, BACKOFF_MAX)

    def _spool_rows(self, rows: list[bytes], *, count: bool = True) -> None:
        self._spool_records([from_row(row) for row in rows], count=count)

    def _spool_records(self, records: list[Record], *, count: bool = True) -> None:
        if not records:
            return
        try:
            self.spool.append_records(records)
        except Exception:
            log.exception("llmlog: cannot write the spool in %s", self.spool.directory)
            if count:
                self.counters.add(dropped=len(records))
            return
        if count:
            self.counters.add(spooled=len(records))

    def _reject(self, refused: list[tuple[Record, str]]) -> None:
        log.warning(
            "llmlog: dropped %d call(s) the store cannot take (%s); kept in %s",
            len(refused),
            refused[0][1],
            self.spool.directory / "rejects",
        )
        try:
            Spool(self.spool.directory / "rejects", kind="rejected").append(
                map(_reject_line, refused)
            )
        except Exception:
            log.exception("llmlog: cannot write rejected calls")
        self.counters.add(dropped=len(refused), rejected=len(refused))

    def _apply_feedback(self, item: Feedback) -> None:
        from llmlog.capture.feedback import set_feedback

        writer = self._store()
        if writer is not None:
            try:
                if set_feedback(self._conn, item.call_id, item.value, item.note):
                    return
                # Not stored (yet): the call may be in the spool; ingest applies it after.
                log.info("llmlog: feedback for call %s kept in the spool", item.call_id)
            except Exception as exc:
                self._store_failed(exc)
        self._spool_feedback([item])

    def _spool_overflow(self, items: list[Exchange | Feedback]) -> None:
        self._spool_records([self._record(i) for i in items if isinstance(i, Exchange)])
        feedback = [i for i in items if isinstance(i, Feedback)]
        if feedback:
            self._spool_feedback(feedback)

    def _spool_feedback(self, items: list[Feedback]) -> None:
        lines = (
            json.dumps({"id": str(i.call_id), "feedback": i.value, "feedback_note": i.note})
            for i in items
        )
        try:
            self.feedback_spool.append(lines)
        except Exception:
            log.exception("llmlog: cannot spool feedback")


def _reject_line(refused: tuple[Record, str]) -> str:
    """A refused record's JSON line (values JSON cannot hold written as their repr)."""
    record = refused[0]
    try:
        return to_json(record)
    except Exception:
        return json.dumps(record, default=repr, ensure_ascii=False, skipkeys=True)


_lock = threading.Lock()
_writer: Writer | None = None
_orphans: list[Writer] = []


def get() -> Writer:
    global _writer
    found = _writer
    if found is not None:
        return found
    with _lock:
        if _writer is None:
            _writer = Writer(settings_mod.current())
            _at_exit(_writer)
            if _writer.settings.flush_on_sigterm:
                sigterm.install()
        return _writer


def submit(exchange: Exchange) -> None:
    """Queue a finished call; never blocks, never raises. On the application's thread for
    every call, so it is one function (each Python call costs ~0.5 us there, in place)."""
    try:
        found = _writer or get()
        found.counters.made()
        items = found._items
        if len(items) >= found.settings.queue_size:
            found.overflow(exchange)
            return
        items.append(exchange)
        if len(items) >= found.settings.batch_size:
            found._wake.set()
    except Exception:
        log.debug("llmlog: could not queue a call", exc_info=True)


def current() -> Writer | None:
    return _writer


def unconfigured() -> dict[str, Any]:
    """The calls not captured for an invalid setting, and the reason (``stats()``)."""
    return {"uncaptured": settings_mod.uncaptured, "config_error": settings_mod.invalid}


def shutdown() -> None:
    """Flush and forget the writer (tests; ``configure`` applies to the next one)."""
    global _writer
    with _lock:
        old, _writer = _writer, None
    if old is not None:
        _not_at_exit(old)
        if not old.flush(old.settings.exit_timeout, stop=True):
            old.at_exit()
            _orphans.append(old)


def _after_fork_in_child() -> None:
    global _writer, _lock
    _lock = threading.Lock()
    if _writer is not None:
        # Keep the parent's writer referenced: collecting it would close the parent's
        # database connection from here (libpq sends Terminate on the shared socket).
        _orphans.append(_writer)
        _not_at_exit(_writer)
        _writer = None


def _at_exit(found: Writer) -> None:
    """Flush ``found`` when this process ends: at interpreter exit, and in a child that
    ``multiprocessing`` started by forking (fork, forkserver), which it ends with
    ``os._exit`` after running its own finalizers, not atexit."""
    atexit.register(found.at_exit)
    mp = sys.modules.get("multiprocessing")  # (a process it started has imported it)
    if mp is not None and mp.parent_process() is not None:
        from multiprocessing import util

        found.finalizer = util.Finalize(None, _at_child_exit, args=(found,), exitpriority=0)


def _at_child_exit(found: Writer) -> None:
    atexit.unregister(found.at_exit)  # (a spawned child exits through atexit as well)
    found.at_exit()


def _not_at_exit(found: Writer) -> None:
    atexit.unregister(found.at_exit)
    if found.finalizer is not None:
        found.finalizer.cancel()


os.register_at_fork(after_in_child=_after_fork_in_child)
