"""The stores the benchmarks measure against, each initialised to the schema head.

- the embedded PostgreSQL 18 (the wheel's server: built without lz4, so prompts are
  compressed with pglz), in a temporary ``LLMLOG_HOME``;
- Debian's PostgreSQL 15 when installed (built with lz4, so the migration sets lz4 on the
  content columns: the configuration ``../shared/PG_BASELINE.md`` measured);
- or only the server named by ``--db``.

Also: the CPU time a local server's processes have used, for "server µs per call".
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Store:
    label: str  # e.g. "PostgreSQL 18.1 (pglz)"
    url: str
    postmaster: int | None  # pid of a local server, for its CPU time


def describe(url: str, postmaster: int | None) -> Store:
    from llmlog.store import connect

    with connect.connect(url) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        method = conn.execute(
            "SELECT attcompression FROM pg_attribute "
            "WHERE attrelid = 'llm_calls'::regclass AND attname = 'request'"
        ).fetchone()[0]  # type: ignore[index]
    compression = "lz4" if method == "l" else "pglz"
    return Store(f"PostgreSQL {version.split()[0]} ({compression})", url, postmaster)


@contextmanager
def stores(cli_db: str | None, *, pg15: bool = True) -> Iterator[list[Store]]:
    """The stores to measure, ready at the schema head; servers started here are stopped."""
    from llmlog.store import admin

    if cli_db:
        admin.init(cli_db)
        yield [describe(cli_db, None)]
        return
    with ExitStack() as stack:
        found = [stack.enter_context(_embedded())]
        if pg15:
            debian = stack.enter_context(_debian())
            if debian is not None:
                found.append(debian)
        yield found


@contextmanager
def _embedded() -> Iterator[Store]:
    from llmlog.store import admin, embedded

    home = tempfile.mkdtemp(prefix="llmlog-bench-")
    os.environ["LLMLOG_HOME"] = home
    try:
        admin.init()
        info = embedded.running()
        assert info is not None
        yield describe(info.url(), info.pid)
    finally:
        embedded.stop()
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def _debian() -> Iterator[Store | None]:
    from llmlog.store import admin
    from tests.servers import DebianServer

    if not DebianServer.available():
        yield None
        return
    server = DebianServer()
    admin_url = server.start()
    try:
        url = admin_url.replace("/postgres?", "/llmlog?")
        admin.init(url)
        pid = int((server.data / "postmaster.pid").read_text().split()[0])
        yield describe(url, pid)
    finally:
        server.stop()


def server_cpu(postmaster: int | None) -> float:
    """CPU seconds used so far by a local PostgreSQL's processes (0 when not local)."""
    if postmaster is None:
        return 0.0
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == postmaster:
            total += sum(int(f) for f in fields[11:15])  # own and exited children's time
        elif ppid == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / TICK


def thread_cpu(names: tuple[str, ...]) -> float:
    """CPU seconds used so far by this process's live threads with these names."""
    import threading

    total = 0
    for thread in threading.enumerate():
        if thread.name not in names or thread.native_id is None:
            continue
        try:  # the scheduler's count, in nanoseconds (stat's ticks are 10 ms coarse)
            total += int(
                Path(f"/proc/self/task/{thread.native_id}/schedstat").read_text().split()[0]
            )
        except (OSError, ValueError, IndexError):
            continue
    return total / 1e9
