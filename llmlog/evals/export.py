"""One export: select the calls, render them in a format, and say what came of it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmlog.evals import formats
from llmlog.evals.select import Options, Selection, select
from llmlog.reports.filters import Filters

if TYPE_CHECKING:
    import psycopg

PREFERENCE = "openai-preference"
EVAL_FORMATS = (*formats.FORMATS, PREFERENCE)


@dataclass
class Export:
    lines: list[str]
    selection: Selection
    empty: str  # why there are no lines, when there are none


def export(
    conn: psycopg.Connection, filters: Filters, options: Options, fmt: str, *, redact: bool
) -> Export:
    """The JSONL lines of the calls ``options`` choose, in format ``fmt``."""
    chosen = select(conn, filters, options)
    if not chosen.calls:
        return Export(
            [],
            chosen,
            "no calls matched in this window (try --since 30d, or --why "
            "with more reasons" + (", or without --new-only" if options.new_only else "") + ")",
        )
    if fmt != PREFERENCE:
        return Export(formats.lines(chosen.calls, fmt, redact=redact), chosen, "")
    from llmlog.evals.pairs import preference_pairs

    lines = formats.preference_lines(preference_pairs(conn, chosen.calls), redact=redact)
    empty = (
        f"none of the {len(chosen.calls)} chosen calls has a replay (or original) that "
        "feedback ranks differently: no preference pairs, nothing written"
    )
    return Export(lines, chosen, "" if lines else empty)


def summary(result: Export, options: Options) -> list[str]:
    """Lines for the person: calls per reason and per feature, the seed, what was left out."""
    calls = result.selection.calls
    reasons = Counter(reason for call in calls for reason in call["reasons"])
    features = Counter(call["feature"] or "-" for call in calls)
    lines = [
        f"{len(calls)} calls of {result.selection.candidates} candidates (seed {options.seed}); "
        + ", ".join(f"{reason} {reasons[reason]}" for reason in options.why if reasons[reason]),
        "by feature: " + ", ".join(f"{name} {n}" for name, n in features.most_common()),
    ]
    if result.selection.duplicates or result.selection.capped:
        lines.append(
            f"left out: {result.selection.duplicates} near-duplicate(s), "
            f"{result.selection.capped} over --per-feature"
        )
    return lines
