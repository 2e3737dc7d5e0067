"""The writer under faults: store down mid-run, unreachable at start, exit bound, fork."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

import llmlog
from llmlog import settings
from llmlog.capture import writer
from llmlog.store import embedded
from tests.capture.conftest import openai_client, rows
from tests.cli.run import llmlog as run_llmlog
from tests.stub_provider import StubServer

MSG = [{"role": "user", "content": "hi"}]


def ask(client: object) -> object:
    client.chat.completions.create(model="gpt-4o-mini", messages=MSG)  # type: ignore[attr-defined]
    return llmlog.last_call_id()


@pytest.fixture
def own_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A dedicated embedded PostgreSQL this test may stop and start; yields its URL."""
    # Outside pytest's private tmp tree: the server may run as another system user.
    home = Path(tempfile.mkdtemp(prefix="llmlog-capture-"))
    monkeypatch.setenv("LLMLOG_HOME", str(home))
    assert run_llmlog("init").code == 0
    info = embedded.running()
    assert info is not None
    yield info.url()
    writer.shutdown()
    settings.reset()
    run_llmlog("server", "stop")
    shutil.rmtree(home, ignore_errors=True)


def count(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*), count(DISTINCT id) FROM llm_calls").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_store_down_mid_run_then_ingest_spool_stores_each_call_once(
    own_server: str, tmp_path: Path, stub: StubServer
) -> None:
    spool = tmp_path / "spool"
    llmlog.configure(database_url=own_server, spool_dir=spool, flush_interval=0.05, batch_size=8)
    client = llmlog.wrap(openai_client(stub))
    made = [ask(client) for _ in range(20)]
    assert llmlog.flush(10)
    assert run_llmlog("server", "stop").code == 0
    started = time.perf_counter()
    made += [ask(client) for _ in range(20)]
    assert time.perf_counter() - started < 5  # the application was never held up
    assert llmlog.flush(10)
    restarted = run_llmlog("server", "start")
    assert restarted.stdout.strip() == own_server, restarted.stderr
    made += [ask(client) for _ in range(20)]
    assert llmlog.flush(10)
    stats = llmlog.stats()
    assert stats["made"] == 60 and stats["dropped"] == 0 and stats["queued"] == 0
    assert stats["stored"] + stats["spooled"] == 60 and stats["spooled"] >= 20
    writer.shutdown()  # the application ends: its spool file is released

    result = run_llmlog(
        "--db", own_server, "ingest", "--spool", env={"LLMLOG_SPOOL_DIR": str(spool)}
    )
    assert result.code == 0, result.stderr
    assert f"{stats['spooled']} stored" in result.stderr
    assert count(own_server) == (60, 60)
    assert list(spool.glob("*.jsonl")) == []
    with psycopg.connect(own_server) as conn:
        stored = {r[0] for r in conn.execute("SELECT id FROM llm_calls")}
    assert stored == set(made)
    again = run_llmlog(
        "--db", own_server, "ingest", "--spool", env={"LLMLOG_SPOOL_DIR": str(spool)}
    )
    assert again.code == 0 and "0 stored" in again.stderr
    assert count(own_server) == (60, 60)


def test_app_starting_while_store_unreachable(
    store_url: str, tmp_path: Path, stub: StubServer
) -> None:
    spool = tmp_path / "spool"
    settings.reset()
    llmlog.configure(database_url="postgresql://app@127.0.0.1:9/none", spool_dir=spool)
    try:
        client = llmlog.wrap(openai_client(stub))
        started = time.perf_counter()
        made = [ask(client) for _ in range(10)]
        elapsed = time.perf_counter() - started
        assert llmlog.flush(10)
        assert llmlog.stats() | {"store_up": None} == {
            "made": 10, "stored": 0, "spooled": 10, "dropped": 0, "rejected": 0, "queued": 0,
            "store_up": None, "uncaptured": 0, "config_error": None,
        }  # fmt: skip
        assert llmlog.stats()["store_up"] is False
    finally:
        writer.shutdown()
        settings.reset()
    assert elapsed < 2
    status = run_llmlog(
        "--db", store_url, "status", "--format", "json", env={"LLMLOG_SPOOL_DIR": str(spool)}
    )
    info = json.loads(status.stdout)
    assert (info["spool_records"], info["capturing_processes"]) == (10, 1)
    assert (info["capture_made"], info["capture_spooled"], info["capture_stored"]) == (10, 10, 0)
    result = run_llmlog(
        "--db", store_url, "ingest", "--spool", env={"LLMLOG_SPOOL_DIR": str(spool)}
    )
    assert result.code == 0, result.stderr
    with psycopg.connect(store_url) as conn:
        ids = {r[0] for r in conn.execute("SELECT id FROM llm_calls")}
    assert ids == set(made)


EXIT_SCRIPT = """
import socket, sys, time
import openai, llmlog
hang = socket.socket(); hang.bind(("127.0.0.1", 0)); hang.listen(0)  # accepts, never answers
llmlog.configure(database_url=f"postgresql://x@127.0.0.1:{hang.getsockname()[1]}/x",
                 spool_dir=sys.argv[2], exit_timeout=1.0)
client = llmlog.wrap(openai.OpenAI(api_key="sk-x", base_url=sys.argv[1] + "/v1", max_retries=0))
for _ in range(3):
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "."}])
print(time.time(), flush=True)
"""


def test_exit_is_bounded_when_the_store_hangs(tmp_path: Path, stub: StubServer) -> None:
    spool = tmp_path / "spool"
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(EXIT_SCRIPT), stub.url, str(spool)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    ended = time.time()
    assert proc.returncode == 0, proc.stderr
    # exit_timeout is 1 s; without the bound the hung connect alone would take 5 s.
    assert ended - float(proc.stdout.strip()) < 4.0
    lines = [line for p in spool.glob("calls-*.jsonl") for line in p.read_text().splitlines()]
    assert len(lines) == 3
    assert "spooling 3 call(s)" in proc.stderr


def test_fork_child_gets_its_own_writer(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    llmlog.configure(flush_interval=1.0)  # the parent's call is still queued at fork time
    client = llmlog.wrap(openai_client(stub))
    before = ask(client)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            child_client = llmlog.wrap(openai_client(stub))
            ids = [ask(child_client), ask(child_client)]
            ok = llmlog.flush(10)
            stats = llmlog.stats()
            os.write(write, f"{ok} {stats['made']} {stats['stored']} {ids[0]} {ids[1]}".encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    ok, made, stored, *child_ids = os.read(read, 1000).decode().split()
    assert (ok, made, stored) == ("True", "2", "2")
    after = ask(client)
    found = rows(store)
    assert len(found) == 4 and len({r["id"] for r in found}) == 4
    assert {str(r["id"]) for r in found} == {str(before), str(after), *child_ids}
    assert llmlog.stats()["made"] == 2


def test_accounting_holds_when_the_queue_overflows(tmp_path: Path, stub: StubServer) -> None:
    settings.reset()
    llmlog.configure(
        database_url="postgresql://app@127.0.0.1:9/none", spool_dir=tmp_path, queue_size=1
    )
    try:
        client = llmlog.wrap(openai_client(stub))
        for _ in range(30):
            ask(client)
        assert llmlog.flush(10)
        stats = llmlog.stats()
    finally:
        writer.shutdown()
        settings.reset()
    assert stats["made"] == 30
    assert stats["stored"] + stats["spooled"] + stats["dropped"] == 30
    lines = sum(len(p.read_text().splitlines()) for p in tmp_path.glob("calls-*.jsonl"))
    assert lines == stats["spooled"] == 30


def test_a_full_queue_spools_off_the_applications_thread(tmp_path: Path, stub: StubServer) -> None:
    """The call the full queue turns away is built and spooled (with an fsync) by the
    writer's spill thread, not by the caller: a redact hook runs where records are built."""
    built_on: list[str] = []

    def hook(record: dict[str, object]) -> dict[str, object]:
        built_on.append(threading.current_thread().name)
        return record

    settings.reset()
    llmlog.configure(
        database_url="postgresql://app@127.0.0.1:9/none", spool_dir=tmp_path, queue_size=10,
        flush_interval=30, redact=hook,
    )  # fmt: skip
    try:
        client = llmlog.wrap(openai_client(stub))
        for _ in range(19):  # (10 queued, at most 10 waiting for the spill thread: none here)
            ask(client)
        client.chat.completions.create(model="gpt-4o-mini", messages=MSG, stream=True).close()
        llmlog.feedback(llmlog.last_call_id(), "up")
        assert llmlog.flush(10)
        stats = llmlog.stats()
    finally:
        writer.shutdown()
        settings.reset()
    assert len(built_on) == 20 and threading.current_thread().name not in built_on
    assert "llmlog-spill" in built_on
    assert (stats["made"], stats["spooled"], stats["queued"]) == (20, 20, 0)
    assert len((next(tmp_path.glob("feedback-*.jsonl"))).read_text().splitlines()) == 1


def test_capture_can_be_switched_off(
    capture: Path, store: psycopg.Connection, stub: StubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    llmlog.configure(enabled=False)
    ask(llmlog.wrap(openai_client(stub)))
    assert rows(store) == []


FLUSH_AT_EXIT = """
import sys
import openai, llmlog
llmlog.configure(database_url=sys.argv[2], spool_dir=sys.argv[3], flush_interval=30)
client = llmlog.wrap(openai.OpenAI(api_key="sk-x", base_url=sys.argv[1] + "/v1", max_retries=0))
for _ in range(5):
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "."}])
"""


def test_calls_still_queued_at_exit_are_stored(
    store_url: str, store: psycopg.Connection, tmp_path: Path, stub: StubServer
) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(FLUSH_AT_EXIT), stub.url, store_url, str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert store.execute("SELECT count(*) FROM llm_calls").fetchone() == (5,)


def test_many_threads_every_call_stored_once(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    llmlog.configure(batch_size=7, flush_interval=0.01)
    client = llmlog.wrap(openai_client(stub))
    made: list[object] = []

    def worker() -> None:
        for _ in range(25):
            made.append(ask(client))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    found = rows(store)
    assert len(found) == 200 and {r["id"] for r in found} == set(made)
    assert llmlog.stats() | {"store_up": True} == {
        "made": 200, "stored": 200, "spooled": 0, "dropped": 0, "rejected": 0, "queued": 0,
        "store_up": True, "uncaptured": 0, "config_error": None,
    }  # fmt: skip


def test_a_queued_call_holds_few_objects_for_the_garbage_collector(
    store_url: str, tmp_path: Path, stub: StubServer
) -> None:
    """Queued calls live long enough to reach the oldest generation; holding the httpx2
    header objects (~30 tracked objects a call) made Python run full collections over the
    application's heap, ~15 us a call, and holding httpx2's header lists ~18 us."""
    import enum
    import gc

    settings.reset()
    llmlog.configure(
        database_url=store_url, spool_dir=tmp_path / "spool", flush_interval=60, batch_size=10**6
    )
    try:
        client = llmlog.wrap(openai_client(stub))
        ask(client)
        for _ in client.chat.completions.create(model="gpt-4o-mini", messages=MSG, stream=True):
            pass
        queued = list(writer.get()._items)
        assert len(queued) == 2
        gc.collect()  # as any pass does, it stops tracking tuples of bytes and ints
        for exchange in queued:
            shared = {id(exchange.source), id(exchange.frame)}  # the client's, the context's
            held = {id(exchange): exchange}
            todo = [exchange]
            while todo:  # every tracked object it holds, however deep (not types, enums)
                for r in gc.get_referents(todo.pop()):
                    new = id(r) not in held and id(r) not in shared
                    if new and gc.is_tracked(r) and not isinstance(r, type | enum.Enum):
                        held[id(r)] = r
                        todo.append(r)
            kinds = sorted(type(r).__name__ for r in held.values())
            assert kinds == ["Exchange"]  # (a tuple: its dicts hold bytes, never tracked)
            assert exchange.attempt == 1 and "x-request-id" in exchange.kept_headers
        assert llmlog.flush(10)
        assert len(rows(psycopg.connect(store_url))) == 2
    finally:
        writer.shutdown()
        settings.reset()


def test_calls_made_are_counted_exactly_while_threads_count_and_read() -> None:
    counters = writer.Counters()
    seen: list[int] = []

    def count() -> None:
        for _ in range(200_000):
            counters.made()

    threads = [threading.Thread(target=count) for _ in range(4)]
    for thread in threads:
        thread.start()
    while True:
        seen.append(counters.snapshot()["made"])
        if not any(t.is_alive() for t in threads):
            break
    for thread in threads:
        thread.join()
    assert seen == sorted(seen) and seen[-1] <= 800_000
    assert counters.snapshot()["made"] == counters.snapshot()["made"] == 800_000


def _capturing_child(stub_url: str, store_url: str, spool: str, calls: int) -> None:
    """A multiprocessing child: its calls are still queued when it returns."""
    import openai

    llmlog.configure(database_url=store_url, spool_dir=spool, flush_interval=30)
    client = llmlog.wrap(openai.OpenAI(api_key="sk-x", base_url=f"{stub_url}/v1", max_retries=0))
    for _ in range(calls):
        ask(client)


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_a_multiprocessing_child_stores_its_last_calls(
    store_url: str, store: psycopg.Connection, tmp_path: Path, stub: StubServer, method: str
) -> None:
    """multiprocessing ends a child with os._exit, which skips atexit."""
    import multiprocessing

    writer.shutdown()
    settings.reset()
    child = multiprocessing.get_context(method).Process(
        target=_capturing_child, args=(stub.url, store_url, str(tmp_path), 5)
    )
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert store.execute("SELECT count(*) FROM llm_calls").fetchone() == (5,)


SIGTERM_SCRIPT = """
import signal, sys, time
import openai, llmlog
if sys.argv[4] == "host":  # the host's own handler, set before llmlog's
    signal.signal(signal.SIGTERM, lambda *_: (print("host handler", flush=True), sys.exit(3)))
llmlog.configure(database_url=sys.argv[2], spool_dir=sys.argv[3], flush_interval=30,
                 flush_on_sigterm=sys.argv[4] != "off")
client = llmlog.wrap(openai.OpenAI(api_key="sk-x", base_url=sys.argv[1] + "/v1", max_retries=0))
for _ in range(5):
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "."}])
print("ready", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize(
    ("handler", "code", "stored"),
    [("off", -signal.SIGTERM, 0), ("default", -signal.SIGTERM, 5), ("host", 3, 5)],
)
def test_flush_on_sigterm_stores_the_queued_calls_and_keeps_the_hosts_handler(
    store_url: str,
    store: psycopg.Connection,
    tmp_path: Path,
    stub: StubServer,
    handler: str,
    code: int,
    stored: int,
) -> None:
    """Off (the default), SIGTERM loses the calls still queued, as SIGKILL does; on, they
    are stored, and then the signal does what it did before: the default action (the
    process ends killed by SIGTERM) or the host's own handler."""
    args = [stub.url, store_url, str(tmp_path), handler]
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(SIGTERM_SCRIPT), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert ("host handler" in out) is (handler == "host")
    assert store.execute("SELECT count(*) FROM llm_calls").fetchone() == (stored,)
