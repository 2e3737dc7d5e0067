"""Feedback on a stored call: ``feedback`` (-1/0/1) and ``feedback_note``, found by id.

A UUIDv7's row has the id's own timestamp as ``ts``, so the UPDATE names its day partition
and prunes the others at plan time; a call with an id made by another tool is looked for
in every partition.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from llmlog.ids import id_time

if TYPE_CHECKING:
    import psycopg

VALUES = {"up": 1, "down": -1, "clear": 0, "+1": 1, "-1": -1, "1": 1, "0": 0}


def parse_value(value: int | str) -> int:
    """-1, 0 or 1 from an int or ``up``/``down``/``clear``; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("feedback is -1, 0 or 1 (or up/down)")
    if isinstance(value, int):
        if value in (-1, 0, 1):
            return value
        raise ValueError(f"feedback {value} is not -1, 0 or 1")
    try:
        return VALUES[str(value).strip().lower()]
    except KeyError:
        raise ValueError(f"feedback {value!r} is not up, down or clear") from None


def set_feedback(
    conn: psycopg.Connection, call_id: uuid.UUID, value: int | str, note: str | None = None
) -> bool:
    """Set a call's feedback (and note, when given); False when no stored call has that id."""
    at = id_time(call_id)  # None for an id made by another tool: looked for in every day
    where, key = ("id = %s", (call_id,)) if at is None else ("id = %s AND ts = %s", (call_id, at))
    # One statement: the change and the mark that makes retention roll a closed day again.
    # The note is set only when given: no read of the old one (a writer role may not read it).
    sets, values = ("feedback = %s", (parse_value(value),))
    if note is not None:
        sets, values = "feedback = %s, feedback_note = %s", (*values, note)
    row = conn.execute(
        f"WITH changed AS (UPDATE llm_calls SET {sets} WHERE {where} "
        "RETURNING (ts AT TIME ZONE 'UTC')::date AS day) "
        "SELECT count(*), llmlog_days_changed(array_agg(day)) FROM changed",
        (*values, *key),
    ).fetchone()
    return bool(row and row[0])
