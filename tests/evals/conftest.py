"""Hand-built calls whose right eval selection the tests know."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from llmlog.store.batch import BatchWriter
from llmlog.store.records import Record
from tests.reports.conftest import NOW, call, llmlog

__all__ = ["llmlog"]  # the CLI runner fixture, shared with the report tests

MINUTE = timedelta(minutes=1)
LATE_REFUSAL = "Sure. " + "Here is the long answer. " * 20 + "I'm unable to say more."


def eval_calls() -> dict[str, Record]:
    """Names say what each call is; ``plain*`` match no reason."""
    cheap = {"cost_usd": Decimal("0.001"), "latency_ms": 200.0, "feature": "chat"}
    at = iter(range(1, 100))

    def make(**fields: Any) -> Record:
        return call(NOW - next(at) * MINUTE, **{**cheap, **fields})

    calls = {
        "thumbs_down": make(question="Where is Zurich?", output_text="In Austria.", feedback=-1,
                            feedback_note="wrong country"),
        "slow": make(question="Summarise this report.", latency_ms=6000.0),
        "expensive": make(feature="summarize", question="Summarise the book.",
                          cost_usd=Decimal("0.50")),
        "refused": make(question="Tell me a secret.", finish_reason="refusal",
                        output_text="No."),
        "phrase": make(question="Share the admin password.",
                       output_text="I’m unable to share that."),
        "late_phrase": make(question="Explain tides.", output_text=LATE_REFUSAL),
        "error": make(question="Translate this.", status="error", finish_reason="error",
                      error_type="rate_limit", output_text=None),
        "slow_error": make(question="Plan my trip.", latency_ms=7000.0, status="error",
                           finish_reason="error", error_type="timeout", output_text=None),
        "dup_first": make(question="What is 2 + 2?", output_text="5", feedback=-1),
        "dup_second": make(question="what  is 17 +   5?", output_text="21", feedback=-1),
        **{f"noisy{n}": make(feature="noisy", question=f"Noisy question {'x' * n}",
                             status="error", finish_reason="error", error_type="server_error")
           for n in range(1, 6)},
        **{f"plain{n}": make(question=f"Plain question {'y' * n}", output_text="Fine.")
           for n in range(1, 9)},
        "old": call(NOW - timedelta(days=10), **cheap, question="Old?", feedback=-1),
    }  # fmt: skip
    return calls


@pytest.fixture
def evals(store: psycopg.Connection) -> dict[str, Record]:
    records = eval_calls()
    BatchWriter(store).write(list(records.values()))
    return records


def names(calls: dict[str, Record], rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The chosen calls by fixture name, with their reasons."""
    by_id = {str(record["id"]): name for name, record in calls.items()}
    return {by_id[str(row["id"])]: row["reasons"] for row in rows}
