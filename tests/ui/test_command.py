"""`llmlog ui` itself: a real uvicorn server over the store, its URL, its token."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from llmlog.ui.serve import prepare

UI = "import sys; from llmlog.cli.app import main; sys.argv[0] = 'llmlog'; main()"


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", UI, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def served(store_url: str, free_tcp_port: int) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`llmlog --db URL ui --port P` running: (the URL it printed, the process)."""
    process = start("--db", store_url, "ui", "--port", str(free_tcp_port))
    try:
        url = (process.stdout.readline() if process.stdout else "").strip()
        yield url, process
    finally:
        process.terminate()
        process.wait(10)


def get(url: str, **options: object) -> httpx.Response:
    for _ in range(100):  # the URL is printed just before the server listens
        try:
            return httpx.get(url, timeout=5, **options)  # type: ignore[arg-type]
        except httpx.ConnectError:
            import time

            time.sleep(0.05)
    raise AssertionError(f"nothing listens at {url}")


def test_llmlog_ui_serves_the_store_on_loopback_and_prints_its_url(
    served: tuple[str, subprocess.Popen[str]],
) -> None:
    url, _ = served
    assert url.startswith("http://127.0.0.1:") and "token" not in url
    page = get(url)
    assert page.status_code == 200 and "<h1>Calls</h1>" in page.text
    assert get(url + "static/vendor/uplot-1.6.32.min.js").status_code == 200


def test_off_loopback_a_token_is_generated_and_shown_once_in_the_url(store_url: str) -> None:
    _, url = prepare(db=store_url, host="0.0.0.0", port=8177, token=None)
    token = url.split("?token=")[1]
    assert len(token) >= 24
    _, again = prepare(db=store_url, host="0.0.0.0", port=8177, token=None)
    assert again.split("?token=")[1] != token  # a new one each run
    _, given = prepare(db=store_url, host="10.1.2.3", port=80, token="mine")
    assert given == "http://10.1.2.3:80/?token=mine"


def test_without_the_ui_extra_it_says_what_to_install(store_url: str) -> None:
    code = "import sys; sys.modules['uvicorn'] = None; " + UI
    done = subprocess.run(
        [sys.executable, "-c", code, "--db", store_url, "ui"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "llmlog: the ui extra is not installed — pip install 'llmlog[ui]'"
    )


def test_a_port_in_use_is_one_line_and_exit_2(store_url: str) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        done = subprocess.run(
            [sys.executable, "-c", UI, "--db", store_url, "ui", "--port", port],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert done.stderr.startswith(f"llmlog: cannot listen on 127.0.0.1:{port}: ")
    assert done.stderr.count("\n") == 1 and done.stdout == ""
