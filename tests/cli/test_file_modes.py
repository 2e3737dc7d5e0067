"""Files that can hold call content or credentials are 0600 in 0700 folders under umask 022;
``status`` warns about a shared $LLMLOG_HOME; the embedded server takes no TCP."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from llmlog import spool
from llmlog.evals.files import write_whole
from llmlog.reports.costs import _RateCache
from llmlog.store import archive
from llmlog.store.batch import BatchWriter
from tests.integration.test_batch import make_record
from tests.reports.conftest import llmlog

__all__ = ["llmlog"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_spool_rejects_and_stats_files_are_0600_in_0700_folders(isolated_env: Path) -> None:
    folder = isolated_env / "new" / "spool"
    spool.Spool(folder).append(['{"secret": 1}'])
    spool.Spool(folder / "rejects", kind="rejected").append(['{"secret": 2}'])
    spool.publish_stats(folder, {"made": 1})
    spool.publish_stats(folder, {"made": 2})  # replaced, still private
    assert [mode(p) for p in (isolated_env / "new", folder, folder / "rejects")] == [0o700] * 3
    files = [*folder.glob("*.jsonl"), *(folder / "rejects").glob("*"), *folder.glob("stats/*")]
    assert len(files) == 3 and {mode(p) for p in files} == {0o600}
    assert mode(folder / "stats") == 0o700


def test_the_rate_cache_is_0600_in_a_0700_folder(isolated_env: Path) -> None:
    cache = _RateCache()
    cache.put("k", dict.fromkeys(("input", "cache_read", "cache_write", "output"), Decimal(1)))
    assert (mode(cache.path.parent), mode(cache.path)) == (0o700, 0o600)
    assert cache.get("k") is not None


def test_ingest_rejects_are_0600(tmp_path: Path, llmlog: Any) -> None:
    source = tmp_path / "calls.jsonl"
    source.write_text('{"not": "a call"}\n')
    assert llmlog("ingest", str(source)).code == 2  # a line rejected
    assert mode(tmp_path / "calls.jsonl.rejects") == 0o600


def test_exports_are_0600_new_or_replaced(tmp_path: Path) -> None:
    fresh, existing = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    existing.write_text("old")
    assert mode(existing) == 0o644
    write_whole(fresh, "{}\n")
    write_whole(existing, "{}\n")
    assert (mode(fresh), mode(existing), existing.read_text()) == (0o600, 0o600, "{}\n")


def test_a_local_archive_is_0600_in_0700_folders(store: psycopg.Connection, tmp_path: Path) -> None:
    BatchWriter(store).write([make_record(datetime(2026, 3, 4, 12, tzinfo=UTC))])
    root = tmp_path / "archive" / "calls"
    assert archive.archive_day(store, str(root), date(2026, 3, 4)) == 1
    folder = root / "day=2026-03-04"
    assert [mode(p) for p in (root.parent, root, folder)] == [0o700] * 3
    assert [mode(p) for p in folder.iterdir()] == [0o600]


def test_status_warns_when_llmlog_home_is_open_to_others(isolated_env: Path, llmlog: Any) -> None:
    isolated_env.chmod(0o755)
    shared = llmlog("status", "--format", "json")
    assert shared.code == 0, shared.err
    assert json.loads(shared.out)["home_exposed_to"] == "group read, others read"
    assert shared.err.count("\n") == 1 and shared.err.startswith("llmlog: warning: ")
    assert f"chmod 700 {isolated_env}" in shared.err

    isolated_env.chmod(0o700)
    private = llmlog("status", "--format", "json")
    assert json.loads(private.out)["home_exposed_to"] is None and private.err == ""


def test_the_embedded_server_listens_on_its_socket_only(pg_admin_url: str) -> None:
    with psycopg.connect(pg_admin_url) as conn:
        addresses = conn.execute("SHOW listen_addresses").fetchone()
        sockets = conn.execute("SHOW unix_socket_directories").fetchone()
    assert addresses == ("",)  # no TCP at all
    assert sockets is not None and sockets[0] and Path(sockets[0]).is_dir()
