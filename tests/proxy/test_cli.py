"""The ``llmlog proxy`` command, run as a person runs it: a process of its own."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from llmlog.proxy.server import listen, on_loopback
from tests.cli.run import assert_one_line_error, llmlog
from tests.proxy.conftest import via_openai
from tests.stub_provider import StubServer

HI = [{"role": "user", "content": "hi"}]


def start(*args: str, db: str) -> tuple[subprocess.Popen[str], str]:
    """``llmlog proxy ARGS`` in the background, and the URL it says it listens on. Its
    writer sends a batch only when a minute old: what it stores, its shutdown stored."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmlog", "--db", db, "proxy", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "LLMLOG_FLUSH_INTERVAL": "60"},
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        found = re.search(r"listening on http://[^:]+:(\d+)", line)
        if found:
            return proc, f"http://127.0.0.1:{found.group(1)}"
    raise AssertionError(f"llmlog proxy did not start: {proc.wait()}")


def test_off_loopback_a_token_is_made_and_required_and_sigterm_stores_what_was_captured(
    store_url: str, stub: StubServer
) -> None:
    import openai

    proc, url = start("--host", "0.0.0.0", "--openai-upstream", f"{stub.url}/v1", db=store_url)
    try:
        assert proc.stdout is not None
        token = proc.stdout.readline().strip()
        assert len(token) >= 32
        with pytest.raises(openai.AuthenticationError):
            via_openai(url).chat.completions.create(model="gpt-4o-mini", messages=HI)
        client = via_openai(url, default_headers={"llmlog-token": token})
        answer = client.chat.completions.create(model="gpt-4o-mini", messages=HI)
        assert answer.choices[0].message.content
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    with psycopg.connect(store_url) as conn:  # stored at shutdown, not spooled
        assert conn.execute("SELECT count(*), min(status) FROM llm_calls").fetchone() == (1, "ok")


def test_loopback_needs_no_token() -> None:
    assert on_loopback("127.0.0.1") and on_loopback("::1") and on_loopback("localhost")
    assert not on_loopback("0.0.0.0") and not on_loopback("10.0.0.8")
    assert not on_loopback("proxy.internal")


def test_without_the_proxy_extra_the_command_names_the_pip_command(tmp_path: Path) -> None:
    shadow = tmp_path / "uvicorn"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise ModuleNotFoundError('no uvicorn', name='uvicorn')")
    path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])
    result = llmlog("proxy", env={"PYTHONPATH": path})
    assert_one_line_error(result, 2, "needs uvicorn", "pip install 'llmlog[proxy]'")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--openai-upstream", "api.openai.com"], "is not an http(s) URL"),
        (["--port", "70000"], "65535"),  # (Typer words it its own way in each version)
    ],
)
def test_bad_options_are_usage_errors(args: list[str], fragment: str) -> None:
    assert_one_line_error(llmlog("proxy", *args), 2, fragment)


def test_a_port_in_use_is_a_usage_error(store_url: str) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        result = llmlog("--db", store_url, "proxy", "--port", port)
    assert_one_line_error(result, 2, f"cannot listen on 127.0.0.1:{port}", "--port")


def test_the_proxys_connections_send_without_waiting_for_acks() -> None:
    """asyncio turns Nagle's algorithm off only on sockets made as IPPROTO_TCP: with it
    on, an answer's body (the second write) waited ~40 ms for the client's delayed ACK."""
    import asyncio
    import socket

    async def accepted_nodelay() -> int:
        found: list[int] = []

        async def note(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            found.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(note, sock=listen("127.0.0.1", 0))
        port = server.sockets[0].getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        while not found:
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        return found[0]

    assert asyncio.run(accepted_nodelay()) == 1


def test_an_egress_proxy_it_cannot_use_is_a_usage_error(store_url: str) -> None:
    result = llmlog("--db", store_url, "proxy", "--port", "0", env={"HTTPS_PROXY": "ftp://x:21"})
    assert_one_line_error(result, 2, "cannot forward", "HTTPS_PROXY")
