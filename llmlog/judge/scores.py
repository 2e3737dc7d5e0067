"""``llmlog scores``: the judge's scores aggregated per period and key, or the worst calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmlog.errors import UsageError
from llmlog.reports.run import Row, drop_keys, run

if TYPE_CHECKING:
    import psycopg

KEYS = ("feature", "tenant_id", "prompt_version", "model", "none")
PERIODS = ("day", "week", "total")


def aggregate(
    conn: psycopg.Connection, filters: dict[str, Any], *, key: str = "feature", by: str = "day"
) -> list[Row]:
    """Scored and failed counts, mean score, pass rate and 7-day moving average per
    ``by`` (day, week or total) and ``key`` (feature, tenant_id, prompt_version, model or
    none); ``filters``: the query's window and filter parameters."""
    if key not in KEYS or by not in PERIODS:
        raise UsageError(
            f"cannot group scores by {key if key not in KEYS else by!r}",
            hint=f"--by takes {', '.join(KEYS[:-1])} and/or {', '.join(PERIODS)}",
        )
    rows = drop_keys(run(conn, "scores", {**filters, "key": key, "by": by}), {by}, PERIODS[:2])
    return [
        {(key if name == "key" else name): value for name, value in row.items()
         if name != "key" or key != "none"}
        for row in rows
    ]  # fmt: skip


def worst(conn: psycopg.Connection, filters: dict[str, Any], limit: int) -> list[Row]:
    """The ``limit`` lowest-scored calls of the window, lowest first."""
    return run(conn, "scores_worst", {**filters, "limit": limit})
