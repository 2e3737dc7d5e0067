"""Recompute stored costs (after a price correction or a new override in prices.toml)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmlog import pricing

if TYPE_CHECKING:
    import psycopg

_SELECT = (
    "SELECT id, ts, provider, endpoint, model, response, input_tokens, output_tokens, "
    "cache_read_tokens, cache_write_tokens, cost_usd FROM llm_calls "
    "WHERE ts >= %(since)s AND status = 'ok' "
    "AND (%(model)s::text IS NULL OR model = %(model)s OR response_model = %(model)s)"
)


def recost(
    conn: psycopg.Connection, *, since: datetime, model: str | None = None, dry_run: bool = False
) -> list[dict[str, Any]]:
    """Per model: calls looked at, costs changed, total before and after."""
    by_model: dict[str, dict[str, Any]] = {}
    changes: list[tuple[Decimal | None, Any, datetime]] = []
    with conn.cursor() as cur:
        cur.execute(_SELECT, {"since": since, "model": model})
        for row in cur:
            call_id, ts, provider, endpoint, name, response, tin, tout, tread, twrite, old = row
            new = pricing.cost_usd(
                provider=provider,
                endpoint=endpoint,
                model=name,
                response=response,
                tokens=pricing.Tokens(tin or 0, tout or 0, tread or 0, twrite or 0),
                at=ts,
            )
            entry = by_model.setdefault(
                name or "", {"model": name, "calls": 0, "changed": 0,
                             "old_usd": Decimal(0), "new_usd": Decimal(0)},
            )  # fmt: skip
            entry["calls"] += 1
            entry["old_usd"] += old or 0
            entry["new_usd"] += new or 0
            if _differs(old, new):
                entry["changed"] += 1
                changes.append((new, call_id, ts))
    if changes and not dry_run:
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany("UPDATE llm_calls SET cost_usd = %s WHERE id = %s AND ts = %s", changes)
            days = sorted({ts.astimezone(UTC).date() for _, _, ts in changes})
            cur.execute("SELECT llmlog_days_changed(%s)", (days,))  # retention rolls them again
    return sorted(by_model.values(), key=lambda e: e["model"] or "")


def _differs(old: Decimal | None, new: Decimal | None) -> bool:
    if old is None or new is None:
        return old is not new
    return old.quantize(Decimal("1e-10")) != new.quantize(Decimal("1e-10"))
