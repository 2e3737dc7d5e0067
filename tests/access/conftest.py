"""The access tests' fixtures: the CLI run in-process, the store's roles, tenant logins."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from llmlog.store.batch import BatchWriter
from llmlog.store.records import Record
from tests.reports.conftest import base_calls


@dataclass
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """``run(url, *args)``: ``llmlog --db URL ARGS…`` in-process, its exit code and outputs."""
    from llmlog.cli.app import main

    def invoke(url: str, *args: str) -> Result:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["llmlog", "--db", url, *args])
        code: Any = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code or 0
        captured = capsys.readouterr()
        return Result(int(code), captured.out, captured.err)

    return invoke


@pytest.fixture
def calls(store: psycopg.Connection) -> dict[str, Record]:
    """The report tests' calls: tenants acme and globex."""
    records = base_calls()
    BatchWriter(store).write(list(records.values()))
    return records


@pytest.fixture
def urls(store_url: str, run: Run) -> dict[str, str]:
    """``access setup`` on the test's store: each role's URL."""
    result = run(store_url, "access", "setup", "-f", "json")
    assert result.code == 0, result.err
    return {row["can"]: row["url"] for row in json.loads(result.out)}


def tenant_login(run: Run, store_url: str, tenant: str, *options: str) -> str:
    role = f"t_{tenant}_{uuid.uuid4().hex[:8]}"
    result = run(
        store_url, "access", "grant-tenant", tenant, "--role", role, *options, "-f", "json"
    )
    assert result.code == 0, result.err
    made = json.loads(result.out)
    assert made["role"] == role
    return str(made["url"])
