"""Run the real ``llmlog`` command in a subprocess, the way a person or a script does."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def llmlog(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Result:
    proc = subprocess.run(
        [sys.executable, "-m", "llmlog", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_one_line_error(result: Result, code: int, *fragments: str) -> None:
    """A failure says what is wrong in one stderr line, with the documented exit code."""
    assert result.code == code, (result.code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("llmlog: ")
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
