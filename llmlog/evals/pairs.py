"""Preference pairs: a chosen call and its replay (or the original it replays), when
feedback prefers one answer to the other (no feedback counts as neutral)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmlog.reports.run import Row, run

if TYPE_CHECKING:
    import psycopg

Pair = tuple[Row, Row, Row]  # (original, preferred, non-preferred)


def preference_pairs(conn: psycopg.Connection, calls: list[Row]) -> list[Pair]:
    """The pairs among ``calls`` and their partners, in the order of ``calls``."""
    if not calls:
        return []
    originals = [str(c["replay_of"]) for c in calls if c.get("replay_of") is not None]
    found = run(
        conn,
        "sample_evals_partners",
        {
            "ids": [str(c["id"]) for c in calls],
            "lo_ts": min(c["ts"] for c in calls),
            "originals": originals,
            "hi_ts": max(c["ts"] for c in calls),
        },
    )
    known = {c["id"]: c for c in calls}
    wanted = [row for row in found if row["id"] not in known]
    if wanted:
        for row in run(
            conn,
            "sample_evals_calls",
            {
                "ids": [str(row["id"]) for row in wanted],
                "lo_ts": min(row["ts"] for row in wanted),
                "hi_ts": max(row["ts"] for row in wanted),
            },
        ):
            known[row["id"]] = row
    pairs: list[Pair] = []
    seen: set[frozenset[Any]] = set()
    links = [(row["replay_of"], row["id"]) for row in [*calls, *found] if row.get("replay_of")]
    for original_id, replay_id in links:
        original, replay = known.get(original_id), known.get(replay_id)
        key = frozenset((original_id, replay_id))
        if original is None or replay is None or key in seen:
            continue
        seen.add(key)
        first, second = original.get("feedback") or 0, replay.get("feedback") or 0
        if first != second:
            better, worse = (original, replay) if first > second else (replay, original)
            pairs.append((original, better, worse))
    return pairs
