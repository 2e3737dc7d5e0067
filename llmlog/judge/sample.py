"""Which calls the judge scores: a deterministic draw per seed, less those already scored.

Every call of the window gets a draw (a hash of its id seeded by ``seed``); a share
(``1%``) takes the calls whose draw falls in that share, a count (``N``) the N of lowest
draw. The same seed over the same calls gives the same sample, so an hourly cron run, or a
run after a crash, scores only what the last one left: calls already scored by the same
judge model under the same rubric version (``llm_scores``) are skipped.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from llmlog.errors import UsageError
from llmlog.judge.rubric import Rubric, for_feature
from llmlog.reports.run import run

if TYPE_CHECKING:
    import psycopg

_SHARE = re.compile(r"^(\d+(?:\.\d+)?)\s*%$")


@dataclass(frozen=True)
class Size:
    """How many calls to draw: a share of the window's, or a count."""

    fraction: float | None = None
    count: int | None = None


def parse_size(text: str) -> Size:
    """``1%`` (a share, up to 100 %) or ``N`` (a count)."""
    value = text.strip()
    share = _SHARE.match(value)
    if share and 0 < float(share.group(1)) <= 100:
        return Size(fraction=float(share.group(1)) / 100)
    if value.isdigit() and int(value) > 0:
        return Size(count=int(value))
    raise UsageError(
        f"--sample {text!r} is neither a share nor a count",
        hint="e.g. --sample 1% (a share of the window's calls) or --sample 200",
    )


@dataclass(frozen=True)
class Item:
    """A drawn call and the rubric it is judged by."""

    id: uuid.UUID
    ts: datetime
    feature: str | None
    chars: int
    rubric: Rubric


@dataclass(frozen=True)
class Sample:
    todo: list[Item]
    drawn: int
    already_scored: int


def draw(
    conn: psycopg.Connection,
    *,
    window: dict[str, object],
    size: Size,
    seed: int,
    judge_model: str,
    rubric: Rubric | None,
) -> Sample:
    """The calls to judge, in draw order; ``window``: since, until and feature (query
    parameters); ``rubric`` None picks the bundled one for each call's feature."""
    rows = run(
        conn,
        "judge_sample",
        {**window, "seed": seed, "fraction": size.fraction, "sample_size": size.count},
    )
    items = [
        Item(r["id"], r["ts"], r["feature"], r["chars"], rubric or for_feature(r["feature"]))
        for r in rows
    ]
    done = _scored(conn, items, judge_model)
    todo = [item for item in items if (item.id, item.rubric.sha256) not in done]
    return Sample(todo, drawn=len(items), already_scored=len(items) - len(todo))


def _scored(
    conn: psycopg.Connection, items: list[Item], judge_model: str
) -> set[tuple[uuid.UUID, str]]:
    if not items:
        return set()
    rows = run(
        conn,
        "judge_scored",
        {
            "ids": [str(item.id) for item in items],
            "lo_ts": min(item.ts for item in items),
            "hi_ts": max(item.ts for item in items),
            "judge_model": judge_model,
        },
    )
    return {(row["call_id"], row["rubric_sha256"]) for row in rows}
