"""The access tests' fixtures: the CLI run in-process, the store's roles, tenant logins."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable

import psycopg
import pytest

from llmlog.store.batch import BatchWriter
from llmlog.store.records import Record
from tests.reports.conftest import Result, base_calls, run_cli

Run = Callable[..., Result]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """``run(url, *args)``: ``llmlog --db URL ARGS…`` in-process, its exit code and outputs."""
    return functools.partial(run_cli, capsys, monkeypatch)


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
