"""The three dashboards: the bundled queries' rows (the same ``.sql`` files the CLI runs)
turned into day-by-day series for uPlot, and the tables beside them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from llmlog.reports.run import Row, run

if TYPE_CHECKING:
    import psycopg

    from llmlog.reports.filters import Filters

Chart = dict[str, Any]
TOP = 10  # series per chart at most: the largest, the rest summed as "other"
PERCENTILES = ("p50_ms", "p95_ms", "p99_ms")
# The dashboards' tables: (key, header, kind as llmlog.cli.output.human reads it).
TENANT_COLUMNS = [
    ("tenant_id", "tenant", "text"),
    ("calls", "calls", "int"),
    ("cost_usd", "cost", "usd"),
    ("today_cost_usd", "today", "usd"),
    ("mean_daily_usd", "mean/day", "usd"),
    ("outlier", "above normal", "flag"),
]
BOTTOM_COLUMNS = [
    ("ts", "time", "time"),
    ("id", "id", "id"),
    ("feature", "feature", "text"),
    ("prompt_version", "prompt", "text"),
    ("feedback", "feedback", "text"),
    ("feedback_note", "note", "text"),
    ("finish_reason", "finish", "text"),
    ("error_type", "error", "text"),
    ("output_head", "output", "line"),
]


def chart(title: str, unit: str, rows: Iterable[Row], label: Callable[[Row], str],
          value: Callable[[list[Row]], float | None]) -> Chart:  # fmt: skip
    """One series per label, one point per day: ``value`` of that day's rows of the label.

    Past TOP labels (ranked by their value summed over the days) the rest become "other";
    the series are in the labels' order, so a feature has the same colour in every chart.
    """
    grouped: dict[str, dict[date, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        grouped[label(row)][row["day"]].append(row)
    days = sorted({day for by_day in grouped.values() for day in by_day})
    ranked = sorted(grouped, key=lambda k: -sum(value(v) or 0 for v in grouped[k].values()))
    if len(ranked) > TOP:
        other = grouped.setdefault("other", defaultdict(list))
        for name in ranked[TOP - 1 :]:
            for day, day_rows in grouped.pop(name).items():
                other[day].extend(day_rows)
        ranked = [*ranked[: TOP - 1], "other"]
    ranked = sorted(ranked, key=lambda name: (name == "other", name))  # a label keeps its colour
    return {
        "title": title,
        "unit": unit,
        "x": [datetime.combine(day, time(), UTC).timestamp() for day in days],
        "series": [
            {"label": name, "values": [_value(value, grouped[name].get(day)) for day in days]}
            for name in ranked
        ],
    }


def _value(value: Callable[[list[Row]], float | None], rows: list[Row] | None) -> float | None:
    return value(rows) if rows else None


def total(key: str) -> Callable[[list[Row]], float | None]:
    return lambda rows: float(sum(r[key] or 0 for r in rows))


def ratio(key: str, per: str = "calls") -> Callable[[list[Row]], float | None]:
    def of(rows: list[Row]) -> float | None:
        below = sum(r[per] or 0 for r in rows)
        return float(sum(r[key] or 0 for r in rows)) / below if below else None

    return of


def mean(key: str, weight: str) -> Callable[[list[Row]], float | None]:
    """The mean of rows' ``key`` weighted by their ``weight`` (rows already averaged)."""

    def of(rows: list[Row]) -> float | None:
        counted = [(r[key], r[weight]) for r in rows if r[key] is not None and r[weight]]
        total = sum(n for _, n in counted)
        return float(sum(v * n for v, n in counted)) / total if total else None

    return of


def _judged(conn: psycopg.Connection, filters: Filters) -> list[Row]:
    """The judge's mean score per feature per day (``llmlog scores``), under the filters
    that query takes."""
    from llmlog.reports import sqlfile

    takes = sqlfile.bundled("scores").param_names
    given = {k: v for k, v in filters.params().items() if k in takes}
    return run(conn, "scores", {**given, "by": "day", "key": "feature"})


def _name(*keys: str) -> Callable[[Row], str]:
    return lambda row: " · ".join(str(row[k]) if row[k] is not None else "(none)" for k in keys)


def cost(conn: psycopg.Connection, filters: Filters) -> dict[str, Any]:
    by_feature = run(conn, "usage_by_day", {**filters.params(), "by": "feature"})
    by_tenant = run(conn, "usage_by_day", {**filters.params(), "by": "tenant_id"})
    tenants = run(conn, "top_tenants", {**filters.params(), "limit": TOP})
    return {
        "charts": [
            chart("$ per day", "usd", by_feature, lambda _: "total", total("cost_usd")),
            chart("$ per day, per feature", "usd", by_feature, _name("feature"), total("cost_usd")),
            chart("$ per day, per tenant", "usd", by_tenant, _name("tenant_id"), total("cost_usd")),
            chart(
                "$ per call, per feature", "usd", by_feature, _name("feature"), ratio("cost_usd")
            ),
        ],
        "tables": [
            {
                "title": f"Top {TOP} tenants (outlier: today above their mean + 3σ)",
                "rows": tenants,
                "columns": TENANT_COLUMNS,
            },
        ],
    }


def latency(conn: psycopg.Connection, filters: Filters) -> dict[str, Any]:
    rows = run(conn, "latency_by_day", filters.params())
    providers = run(conn, "usage_by_day", {**filters.params(), "by": "provider"})
    charts = [
        chart(f"{metric} {p[:3]} per feature", "ms", [r for r in rows if r["metric"] == key],
              _name("feature"), lambda day, p=p: _first(day, p))
        for key, metric in (("total", "latency"), ("ttft", "TTFT"))
        for p in PERCENTILES
    ]  # fmt: skip
    charts.append(chart("share of calls, per provider", "pct", providers, _name("provider"),
                        _share(providers)))  # fmt: skip
    return {"charts": charts, "tables": []}


def _first(rows: list[Row], key: str) -> float | None:
    values = [r[key] for r in rows if r[key] is not None]
    return float(values[0]) if values else None


def _share(rows: list[Row]) -> Callable[[list[Row]], float | None]:
    per_day: dict[date, int] = defaultdict(int)
    for row in rows:
        per_day[row["day"]] += row["calls"]
    return lambda day_rows: sum(r["calls"] for r in day_rows) / per_day[day_rows[0]["day"]]


def quality(conn: psycopg.Connection, filters: Filters) -> dict[str, Any]:
    rows = run(conn, "usage_by_day", {**filters.params(), "by": "feature,prompt_version"})
    bottom = run(conn, "bottom_calls", filters.params())
    label = _name("feature", "prompt_version")
    return {
        "charts": [
            chart("thumbs-down rate", "pct", rows, label, ratio("feedback_down")),
            chart("refusal rate", "pct", rows, label, ratio("refusals")),
            chart("output tokens per call", "int", rows, label, ratio("output_tokens")),
            chart(
                "judge score (mean, llmlog judge)",
                "num",
                _judged(conn, filters),
                _name("key"),
                mean("mean_score", "scored"),
            ),
        ],
        "tables": [
            {
                "title": "The bottom calls of the week (thumbs down, refusals, errors)",
                "rows": bottom,
                "link": "id",
                "columns": BOTTOM_COLUMNS,
            },
        ],
    }


DASHBOARDS: dict[str, Callable[[Any, Any], dict[str, Any]]] = {
    "cost": cost,
    "latency": latency,
    "quality": quality,
}
