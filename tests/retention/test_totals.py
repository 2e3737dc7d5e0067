"""Totals do not move: demo traffic longer than both windows, reports before and after
rolling, stripping and dropping."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from llmlog.demo import load
from tests.retention.conftest import retain

END = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)
NOW = "2026-11-19T00:30+00:00"  # hot from 9 Nov, rows kept from 30 Oct (hot 10, keep 20)
WINDOWS = [  # any window over days with rows; whole days over dropped days
    ("2026-09-01", "2026-12-01"),
    ("2026-10-20", "2026-11-05T06:00"),
    ("2026-11-03T07:45", "2026-11-12T13:20"),
    ("2026-11-15T10:00", "2026-12-01"),
]
BUCKET = 10**0.1  # the width of a histogram bucket (a ratio)


@pytest.fixture
def demo(store_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("LLMLOG_HOME", str(tmp_path))
    load.load(store_url, calls=4000, days=40, seed=3, end=END)


def keyed(rows: list[dict[str, Any]], key: tuple[str, ...], values: tuple[str, ...]) -> dict:
    return {tuple(r[k] for k in key): tuple(r[v] for v in values) for r in rows}


def summed_errors(rows: list[dict[str, Any]]) -> dict[tuple[Any, ...], int]:
    sums: dict[tuple[Any, ...], int] = {}
    for r in rows:  # rolled-up days count their errors under error_type null
        sums[r["model"], r["feature"]] = sums.get((r["model"], r["feature"]), 0) + r["errors"]
    return sums


TOTALS = ("calls", "errors", "input_tokens", "output_tokens", "cost_usd")
REPORTS: dict[str, tuple[list[str], Callable[[list[dict[str, Any]]], Any]]] = {
    "cost-by-feature day": (
        ["cost-by-feature", "--by", "day"], lambda r: keyed(r, ("day", "feature"), TOTALS)
    ),
    "cost-by-feature total": (
        ["cost-by-feature", "--by", "total"], lambda r: keyed(r, ("feature",), TOTALS)
    ),
    "cost-by-model": (
        ["cost-by-model"], lambda r: keyed(r, ("provider", "model"), ("calls", "cost_usd"))
    ),
    "top-tenants": (["top-tenants", "-n", "1000"], lambda r: keyed(r, ("tenant_id",), TOTALS)),
    "errors": (["errors"], summed_errors),
    "latency counts": (
        ["latency", "--by", "feature,model"], lambda r: keyed(r, ("feature", "model"), ("calls",))
    ),
}  # fmt: skip


def report(llmlog: Any, argv: list[str], window: tuple[str, str]) -> list[dict[str, Any]]:
    result = llmlog(*argv, "--since", window[0], "--until", window[1], "-f", "json")
    assert result.code == 0, result.err
    return json.loads(result.out or "[]")


def everything(llmlog: Any) -> dict[tuple[str, tuple[str, str]], Any]:
    return {
        (name, window): pick(report(llmlog, argv, window))
        for name, (argv, pick) in REPORTS.items()
        for window in WINDOWS
    }


def latency(llmlog: Any) -> dict[tuple[str, str], list[float]]:
    rows = report(llmlog, ["latency", "--by", "feature"], WINDOWS[0])
    return {r["feature"]: [r["p50_ms"], r["p95_ms"], r["p99_ms"]] for r in rows}


def near_rank(values: list[float], p: float) -> tuple[float, float]:
    """The latencies at the percentile's rank, one call either side, widened by a bucket."""
    at = p * (len(values) - 1)
    low = values[max(0, math.floor(at) - 1)]
    high = values[min(len(values) - 1, math.ceil(at) + 1)]
    return low / BUCKET, high * BUCKET


def test_totals_do_not_move_when_days_are_rolled_stripped_and_dropped(
    demo: None, store: psycopg.Connection, llmlog: Any
) -> None:
    before = everything(llmlog)
    exact = latency(llmlog)
    latencies = {
        feature: sorted(ms)
        for feature, ms in store.execute(
            "SELECT feature, array_agg(latency_ms) FROM llm_calls "
            "WHERE latency_ms IS NOT NULL GROUP BY feature"
        )
    }
    assert len(before[("cost-by-feature day", WINDOWS[0])]) > 100
    retain(store, NOW, hot=400, keep=400)  # rolled
    assert everything(llmlog) == before
    retain(store, NOW, hot=10, keep=400)  # and stripped
    assert everything(llmlog) == before
    result = retain(store, NOW, hot=10, keep=20)  # and dropped
    assert len(result.plan.drop) == 21  # 9 Oct (the first demo day) to 29 Oct
    assert everything(llmlog) == before
    estimated = latency(llmlog)
    assert estimated.keys() == exact.keys()
    for feature, figures in estimated.items():  # now from histograms (20 of 40 days)
        for got, p in zip(figures, (0.5, 0.95, 0.99), strict=True):
            low, high = near_rank(latencies[feature], p)
            assert low <= got <= high, (feature, p, got, low, high)
