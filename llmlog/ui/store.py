"""The UI's connections to the store: a few kept open, each a report session (read-only,
statement timeout), dropped when the store fails so the next request connects afresh.

A store that is down or behind on migrations raises the ``llmlog.errors`` the CLI raises;
the app shows them as one message page and keeps serving (recovery is the next connect).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from llmlog.errors import StoreUnavailableError

if TYPE_CHECKING:
    import psycopg

KEEP = 4  # idle connections kept: the server's worker threads rarely need more


class Store:
    """Connections to the store at ``url()`` (called per connect: the embedded server is
    started again when it stopped)."""

    def __init__(self, url: Callable[[], str], timeout: float | None = None) -> None:
        self._url, self._timeout = url, timeout
        self._idle: list[psycopg.Connection] = []
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def read(self) -> Iterator[psycopg.Connection]:
        """A report session; a connection the store broke is closed, not kept."""
        import psycopg

        conn = self._take()
        try:
            yield conn
        except psycopg.OperationalError as exc:
            if (exc.sqlstate or "").startswith("54"):  # a limit the query exceeded: not the store
                self._give(conn)
                raise
            conn.close()
            self.close()  # the others went down with it
            raise StoreUnavailableError(
                f"the store failed: {str(exc).strip().splitlines()[0] if str(exc) else exc}",
                hint="check the server; this page works again once it is back",
            ) from exc
        except BaseException:
            self._give(conn)
            raise
        self._give(conn)

    @contextlib.contextmanager
    def write(self) -> Iterator[psycopg.Connection]:
        """A report session inside one read-write transaction (feedback)."""
        with self.read() as conn, conn.transaction():
            conn.execute("SET TRANSACTION READ WRITE")
            yield conn

    def audit(self, args: list[str]) -> None:
        """Record a page view as `ui ARGS` when the store audits (llmlog.store.audit)."""
        from llmlog.store import audit

        with self.write() as conn:
            audit.record(conn, "ui", args)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _take(self) -> psycopg.Connection:
        with self._lock:
            while self._idle:
                conn = self._idle.pop()
                if not conn.closed:
                    return conn
        return self._connect()

    def _give(self, conn: psycopg.Connection) -> None:
        from psycopg.pq import TransactionStatus

        if conn.closed or conn.info.transaction_status != TransactionStatus.IDLE:
            conn.close()
            return
        with self._lock:
            if len(self._idle) < KEEP:
                self._idle.append(conn)
                return
        conn.close()

    def _connect(self) -> psycopg.Connection:
        from llmlog.reports.run import tune_session
        from llmlog.store.connect import check_schema, connect

        url = self._url()
        conn = connect(url)
        try:
            check_schema(conn, url)
            tune_session(conn, self._timeout)
        except Exception:
            conn.close()
            raise
        return conn
