"""The ``llmlog otlp`` command as a person runs it: serves until interrupted, refuses to be
reachable from other machines without a token, and says so when its port is taken."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys

import httpx
import psycopg

from llmlog.otlp import wire
from tests.cli.run import assert_one_line_error, llmlog
from tests.otlp.conftest import rows, wait_for
from tests.otlp.test_receiver import CHAT, export, span


def test_off_loopback_without_a_token_is_refused(store_url: str) -> None:
    result = llmlog("--db", store_url, "otlp", "--host", "0.0.0.0", "--port", "0")
    assert_one_line_error(result, 2, "0.0.0.0", "--token")


def test_a_port_in_use_is_one_line(store_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = llmlog("--db", store_url, "otlp", "--port", port)
    assert_one_line_error(result, 2, f"cannot listen on 127.0.0.1:{port}")


def test_the_command_stores_what_it_is_sent_until_interrupted(
    store_url: str, store: psycopg.Connection
) -> None:
    env = {**os.environ, "LLMLOG_OTLP_TOKEN": "s3cret"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmlog", "--db", store_url, "otlp", "--port", "0"],
        stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert found, line
        body = export(span(1, CHAT)).SerializeToString()
        answer = httpx.post(
            f"{found.group(1)}/v1/traces", content=body,
            headers={"content-type": wire.PROTOBUF, "authorization": "Bearer s3cret"},
        )  # fmt: skip
        assert answer.status_code == 200
        assert wait_for(lambda: rows(store))[0]["output_text"] == "Hello!"
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 130  # (interrupted, as documented)
        assert proc.stderr is not None and "Traceback" not in proc.stderr.read()


def test_without_the_otlp_extra_both_commands_say_which_pip_command(store_url: str) -> None:
    for args in (["otlp"], ["export", "--otlp", "http://127.0.0.1:4318"]):
        code = (
            "import sys; sys.modules['uvicorn'] = None; "
            f"sys.argv = ['llmlog', '--db', {store_url!r}, *{args!r}]; "
            "from llmlog.cli.app import main; main()"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1, result.stderr
        assert "needs the otlp extra" in lines[0] and "pip install 'llmlog[otlp]'" in lines[0]
