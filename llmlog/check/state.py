"""Firing state in the store (``llm_check_state``): since when each rule fires in each scope,
and whether its start was notified, so ``--notify`` posts once on start and once on
resolve, not on every run.

A breach opens a row (``pending_since``); it fires once it has held for the rule's ``for``
(at once without one). A row whose rule no longer breaches in that scope resolves: it is
deleted, unless its start was notified and the resolve could not be (then the next run
tries again). Rows of rules not in this run's rule set are left alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from llmlog.check.evaluate import Finding
from llmlog.check.rules import Rule

if TYPE_CHECKING:
    import psycopg


@dataclass(frozen=True)
class Alert:
    """A breaching rule in one scope: firing, or pending until its ``for`` has passed."""

    finding: Finding
    firing: bool
    since: datetime  # firing since, or pending since
    notified: bool  # its start was notified


@dataclass(frozen=True)
class Resolved:
    rule: str
    scope: str
    since: datetime  # it fired since
    notified: bool


def advance(
    conn: psycopg.Connection, rules: list[Rule], findings: list[Finding], now: datetime
) -> tuple[list[Alert], list[Resolved]]:
    """Record this run's breaches; the alerts (firing or pending) and what resolved."""
    names = [rule.name for rule in rules]
    alerts, resolved = [], []
    with writable(conn):
        rows = conn.execute(
            "SELECT rule, scope, pending_since, firing_since, notified FROM llm_check_state "
            "WHERE rule = ANY(%s) FOR UPDATE",
            (names,),
        ).fetchall()
        known = {(r[0], r[1]): r[2:] for r in rows}
        breached = [f for f in findings if f.breached]
        for finding in breached:
            pending, firing, notified = known.pop((finding.rule.name, finding.scope),
                                                  (now, None, False))  # fmt: skip
            if firing is None and now - pending >= finding.rule.hold:
                firing = now
            alerts.append(Alert(finding, firing is not None, firing or pending, notified))
            conn.execute(
                "INSERT INTO llm_check_state (rule, scope, pending_since, firing_since, value, "
                "notified, checked_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (rule, scope) DO UPDATE SET firing_since = excluded.firing_since, "
                "value = excluded.value, checked_at = excluded.checked_at",
                (finding.rule.name, finding.scope, pending, firing, finding.value, notified, now),
            )
        for (rule, scope), (_, firing, notified) in known.items():
            if firing is None or not notified:
                conn.execute(_DELETE, (rule, scope))
            if firing is not None:
                resolved.append(Resolved(rule, scope, firing, notified))
    return alerts, resolved


def mark_notified(conn: psycopg.Connection, alert: Alert) -> None:
    with writable(conn):
        conn.execute(
            "UPDATE llm_check_state SET notified = true WHERE rule = %s AND scope = %s",
            (alert.finding.rule.name, alert.finding.scope),
        )


def forget(conn: psycopg.Connection, rule: str, scope: str) -> None:
    """A resolve notified (or no longer to be): the row goes."""
    with writable(conn):
        conn.execute(_DELETE, (rule, scope))


_DELETE = "DELETE FROM llm_check_state WHERE rule = %s AND scope = %s"


@contextmanager
def writable(conn: psycopg.Connection) -> Iterator[None]:
    """A read-write transaction in a report session (read-only by default)."""
    with conn.transaction():
        conn.execute("SET TRANSACTION READ WRITE")
        yield
