"""Each rule's metric per scope, computed from the store through the bundled queries
(hot rows, and ``llm_calls_daily`` for days rolled up), and whether it breaches."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from llmlog.check.rules import PERCENTILES, SCOPES, Rule
from llmlog.reports.run import run

if TYPE_CHECKING:
    import psycopg

# spend_sigma judges a tenant with at least this many days of spend before today.
MIN_HISTORY_DAYS = 3


@dataclass(frozen=True)
class Finding:
    """A rule's value in one scope: ``scope`` is ``feature=support`` ('' for all calls)."""

    rule: Rule
    scope: str
    value: float
    threshold: float  # what the value is compared with (budget x threshold, mean + k·σ…)
    breached: bool


def evaluate_rule(conn: psycopg.Connection, rule: Rule, now: datetime) -> list[Finding]:
    """The rule's value in each of its scopes that has enough calls."""
    if rule.metric in PERCENTILES:
        values = _percentiles(conn, rule, now)
    elif rule.metric == "cost_per_day":
        return _budgets(conn, rule, now)
    elif rule.metric == "spend_sigma":
        return _sigma(conn, rule, now)
    elif rule.metric == "score_drop_wow":
        values = _score_drop(conn, rule, now)
    else:
        values = _usage(conn, rule, now)
    return [_finding(rule, key, value, rule.threshold) for key, value in values.items()]


def _finding(rule: Rule, key: Any, value: float, threshold: float) -> Finding:
    scope = "" if rule.scope == "all" else f"{rule.scope}={'(none)' if key is None else key}"
    return Finding(rule, scope, value, threshold, rule.breached(value, threshold))


def _params(rule: Rule) -> dict[str, Any]:
    return {"key": SCOPES[rule.scope], **rule.filters}


def _percentiles(conn: psycopg.Connection, rule: Rule, now: datetime) -> dict[Any, float]:
    percentile, metric = PERCENTILES[rule.metric]
    column = SCOPES[rule.scope]
    rows = run(conn, "latency", {
        "since": now - rule.window, "until": now, "by": [] if rule.scope == "all" else [column],
        "metric": "total" if metric == "latency" else "ttft", **rule.filters,
    })  # fmt: skip
    return {
        None if rule.scope == "all" else row[column]: float(row[f"p{percentile}_ms"])
        for row in rows
        if row["calls"] >= rule.min_calls and row[f"p{percentile}_ms"] is not None
    }


def _usage(conn: psycopg.Connection, rule: Rule, now: datetime) -> dict[Any, float]:
    rows = run(conn, "check_usage", {"since": now - rule.window, "until": now, **_params(rule)})
    if not rows and rule.scope == "all" and rule.metric == "calls":
        return {None: 0.0}  # no traffic at all: a rule on too few calls must see it
    values = {}
    for row in rows:
        if row["calls"] < rule.min_calls:
            continue
        values[row["key"]] = float({
            "calls": row["calls"],
            "error_rate": row["errors"] / row["calls"],
            "refusal_rate": row["refusals"] / row["calls"],
            "output_tokens": row["output_tokens"] / row["calls"],
        }[rule.metric])  # fmt: skip
    return values


def _daily_spend(
    conn: psycopg.Connection, rule: Rule, now: datetime
) -> tuple[dict[Any, float], dict[Any, list[float]], int]:
    """Today's spend per key, each key's spend on the ``history`` days before today (days
    without spend left out), and how many days that history is."""
    today = datetime.combine(now.astimezone(UTC).date(), time(0), UTC)
    days = max(1, rule.history.days)
    rows = run(conn, "check_usage", {"since": today - timedelta(days=days), "until": now,
                                     "by_day": True, **_params(rule)})  # fmt: skip
    spent: dict[Any, float] = {}
    before: dict[Any, list[float]] = {}
    for row in rows:
        cost = float(row["cost_usd"] or 0)
        if row["day"] == today.date():
            spent[row["key"]] = cost
        else:
            before.setdefault(row["key"], []).append(cost)
    return spent, before, days


def _budgets(conn: psycopg.Connection, rule: Rule, now: datetime) -> list[Finding]:
    spent, before, days = _daily_spend(conn, rule, now)
    found = []
    for key, cost in spent.items():
        budget = rule.budgets.get(str(key), rule.budget)
        if budget == "history":
            budget = sum(before.get(key, [])) / days or None
        if isinstance(budget, float):
            found.append(_finding(rule, key, cost, rule.threshold * budget))
    return found


def _sigma(conn: psycopg.Connection, rule: Rule, now: datetime) -> list[Finding]:
    spent, before, days = _daily_spend(conn, rule, now)
    found = []
    for key, cost in spent.items():
        history = before.get(key, [])
        if len(history) < MIN_HISTORY_DAYS:
            continue  # no normal to leave yet
        mean = sum(history) / days  # days without spend count as 0
        sd = math.sqrt(max(sum(c * c for c in history) / days - mean * mean, 0.0))
        found.append(_finding(rule, key, cost, mean + rule.threshold * sd))
    return found


def _score_drop(conn: psycopg.Connection, rule: Rule, now: datetime) -> dict[Any, float]:
    week = timedelta(days=7)
    bounds = {"now": now, "week_ago": now - week, "two_weeks_ago": now - 2 * week}
    rows = run(conn, "check_score_change", {**bounds, **_params(rule)})
    return {
        row["key"]: float(row["last_week"]) - float(row["this_week"])
        for row in rows
        if min(row["this_week_scores"], row["last_week_scores"]) >= rule.min_calls
    }


def evaluate(conn: psycopg.Connection, rules: list[Rule], now: datetime) -> list[Finding]:
    return [finding for rule in rules for finding in evaluate_rule(conn, rule, now)]
