"""Calls on fixed March 2026 days, and retention run at a chosen moment."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pytest

from llmlog.store import retention
from llmlog.store.batch import BatchWriter
from llmlog.store.records import Record
from tests.reports.conftest import call, llmlog  # noqa: F401  (the CLI fixture)


def at(day: str, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=UTC)


def retain(
    store: psycopg.Connection,
    now: str,
    *,
    hot: int = 30,
    keep: int = 365,
    archive: str | None = None,
    dry_run: bool = False,
) -> retention.Result:
    policy = retention.Policy(hot, keep, datetime.fromisoformat(now), archive)
    return retention.run(store, policy, dry_run=dry_run)


def day_calls(day: str, n: int = 4) -> list[Record]:
    """``n`` calls on ``day``: tenants acme/globex, one error, one without latency."""
    return [
        call(
            at(day, 1 + i), feature="chat" if i % 2 else "search",
            tenant_id="acme" if i < 2 else "globex", user_id=f"u{i}",
            latency_ms=None if i == 3 else 100.0 * (i + 1), ttft_ms=20.0 if i < 2 else None,
            cost_usd=Decimal("0.01") * (i + 1), input_tokens=100 * (i + 1), output_tokens=10,
            status="error" if i == 2 else "ok", finish_reason="error" if i == 2 else "stop",
            error_type="timeout" if i == 2 else None, output_text=f"answer {i} " + "x" * 2000,
            system_prompt="You are helpful. " * 50,
            tool_calls=[{"id": f"t{i}", "name": "lookup", "arguments": '{"q": "secret"}'}],
        )
        for i in range(n)
    ]  # fmt: skip


MARCH = [f"2026-03-{d:02d}" for d in range(1, 11)]


@pytest.fixture
def march(store: psycopg.Connection) -> list[Record]:
    """Four calls on each of 1–10 March 2026."""
    records = [r for day in MARCH for r in day_calls(day)]
    BatchWriter(store).write(records)
    return records
