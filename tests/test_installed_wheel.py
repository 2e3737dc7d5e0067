"""A wheel built from the repo runs init, demo and status in a clean venv, no checkout needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(900)
def test_wheel_runs_without_source_checkout(tmp_path: Path, isolated_env: Path) -> None:
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
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, timeout=600)
    bare = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    bare["LLMLOG_HOME"] = str(isolated_env)
    llmlog = env_dir / "bin" / "llmlog"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(llmlog), *args], cwd=tmp_path, env=bare, capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip

    try:
        where = subprocess.run(
            [str(python), "-c", "import llmlog.resources as r; print(r.bundled('queries'))"],
            cwd=tmp_path, env=bare, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        assert str(env_dir) in where and Path(where, "..", "alembic").resolve().is_dir()
        assert list(Path(where).glob("*.sql")), "queries/ must ship inside the wheel"
        for args in (("init",), ("demo", "--calls", "300", "--days", "3")):
            result = run(*args)
            assert result.returncode == 0, result.stderr
        status = run("status", "--format", "json")
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["calls"] == 300
    finally:
        run("server", "stop")
