"""One `llmlog check` run: evaluate every rule, record what fires, notify starts and
resolves, and describe each alert in one line."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from llmlog.check import evaluate, notify, state
from llmlog.check.rules import PERCENTILES, Rule
from llmlog.errors import RoleError

if TYPE_CHECKING:
    import psycopg


@dataclass
class Outcome:
    alerts: list[state.Alert] = field(default_factory=list)
    resolved: list[state.Resolved] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # webhook failures

    @property
    def firing(self) -> list[state.Alert]:
        return [alert for alert in self.alerts if alert.firing]


def check(
    conn: psycopg.Connection, rules: list[Rule], *, now: datetime, notify_url: str | None = None
) -> Outcome:
    import psycopg

    findings = evaluate.evaluate(conn, rules, now)
    try:
        alerts, resolved = state.advance(conn, rules, findings, now)
    except psycopg.errors.InsufficientPrivilege as exc:
        raise RoleError(
            "`check` keeps its firing state in the store, and this role may not write it",
            hint="run it with the owner's URL (--db)",
        ) from exc
    outcome = Outcome(alerts, resolved)
    if notify_url is None:
        return outcome
    for alert in outcome.firing:
        if not alert.notified:
            problem = notify.post(notify_url, "llmlog: FIRING " + line(alert))
            if problem is None:
                state.mark_notified(conn, alert)
            else:
                outcome.problems.append(problem)
    for gone in resolved:
        if gone.notified:
            where = gone.scope or "all calls"
            problem = notify.post(
                notify_url,
                f"llmlog: RESOLVED {gone.rule} ({where}), firing since {_time(gone.since)}",
            )
            if problem is None:
                state.forget(conn, gone.rule, gone.scope)
            else:
                outcome.problems.append(problem)
    return outcome


def line(alert: state.Alert) -> str:
    """What fires, where, its value against the threshold, over what, since when."""
    finding, rule = alert.finding, alert.finding.rule
    return (
        f"{rule.name} ({finding.scope or 'all calls'}): {rule.metric} "
        f"{_shown(rule, finding.value)} {rule.op} {_shown(rule, finding.threshold)} "
        f"{_over(rule)}, {'since' if alert.firing else 'pending since'} {_time(alert.since)}"
    )


def as_dict(alert: state.Alert) -> dict[str, Any]:
    finding, rule = alert.finding, alert.finding.rule
    return {
        "rule": rule.name,
        "state": "firing" if alert.firing else "pending",
        "metric": rule.metric,
        "scope": finding.scope,
        "value": finding.value,
        "op": rule.op,
        "threshold": finding.threshold,
        "over": _over(rule),
        "since": alert.since,
        "notified": alert.notified,
    }


def _shown(rule: Rule, value: float) -> str:
    if rule.metric in PERCENTILES:
        return f"{value:,.0f} ms"
    if rule.metric.endswith("_rate"):
        return f"{value * 100:.1f}%"
    if rule.metric in ("cost_per_day", "spend_sigma"):
        return f"${value:,.2f}"
    if rule.metric == "score_drop_wow":
        return f"{value:.1f} points"
    return f"{value:,.0f}" + (" tokens" if rule.metric == "output_tokens" else "")


def _over(rule: Rule) -> str:
    if rule.metric == "cost_per_day":
        return "today (UTC)"
    if rule.metric == "spend_sigma":
        return f"today, against mean + {rule.threshold:g}σ of {_span(rule.history)}"
    if rule.metric == "score_drop_wow":
        return "last week against the week before"
    return f"over the last {_span(rule.window)}"


def _span(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
