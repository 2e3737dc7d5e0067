"""What changed between a call and its replay: the words, the tool calls, the finish reason
and the numbers; and, with repeated runs, whether it changed more than the original request
varies by itself (the noise floor).

Both comparisons are deepdiff's: the texts as lists of word tokens (insertions and
deletions by word index), the tool calls as data (name, arguments parsed from JSON, order),
reported as paths.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import fmean
from typing import Any

WORD = re.compile(r"\S+")
# (field, how people read it) of the numbers compared.
METRICS = (
    ("input_tokens", "int"),
    ("output_tokens", "int"),
    ("cost_usd", "usd"),
    ("ttft_ms", "ms"),
    ("latency_ms", "ms"),
)
_SIDE_FIELDS = ("model", "output_text", "tool_calls", "finish_reason",
                *(name for name, _ in METRICS))  # fmt: skip


@dataclass(frozen=True)
class Side:
    """One output being compared: a stored call's columns or a replay's outcome."""

    model: str | None = None
    output_text: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    finish_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: Decimal | None = None
    ttft_ms: float | None = None
    latency_ms: float | None = None

    @classmethod
    def of(cls, source: Mapping[str, Any] | object) -> Side:
        """From a stored row (a mapping) or an ``Outcome``; the model answering wins."""
        get = source.get if isinstance(source, Mapping) else lambda k: getattr(source, k, None)
        values = {k: get(k) for k in _SIDE_FIELDS}
        values["model"] = get("response_model") or values["model"]
        return cls(**values)


@dataclass(frozen=True)
class TextDiff:
    """Word-level changes: indices (into ``words(text)``) deleted from the original and
    inserted in the replay."""

    original: str
    replay: str
    deleted: frozenset[int]
    inserted: frozenset[int]

    @property
    def changed(self) -> float:
        """The share of words deleted or inserted: 0 identical, 1 nothing in common."""
        total = len(words(self.original)) + len(words(self.replay))
        return (len(self.deleted) + len(self.inserted)) / total if total else 0.0

    def as_dict(self) -> dict[str, Any]:
        a, b = words(self.original), words(self.replay)
        return {
            "changed": round(self.changed, 4),
            "deleted": [{"index": i, "word": a[i]} for i in sorted(self.deleted)],
            "inserted": [{"index": i, "word": b[i]} for i in sorted(self.inserted)],
        }


def words(text: str | None) -> list[str]:
    return WORD.findall(text or "")


def text_diff(original: str | None, replay: str | None) -> TextDiff:
    """The word tokens deepdiff finds removed, added or replaced."""
    from deepdiff import DeepDiff

    a, b = words(original), words(replay)
    deleted: set[int] = set()
    inserted: set[int] = set()
    if a != b:
        tree = DeepDiff(a, b, view="tree")
        for level in tree.get("iterable_item_removed", ()):
            deleted.add(_index(level))
        for level in tree.get("iterable_item_added", ()):
            inserted.add(_index(level, t2=True))
        for level in tree.get("values_changed", ()):
            deleted.add(_index(level))
            inserted.add(_index(level, t2=True))
    return TextDiff(original or "", replay or "", frozenset(deleted), frozenset(inserted))


def _index(level: Any, *, t2: bool = False) -> int:
    return int(level.path(output_format="list", use_t2=t2)[-1])


def tool_calls_diff(original: Sequence[dict[str, Any]] | None,
                    replay: Sequence[dict[str, Any]] | None) -> list[dict[str, Any]]:  # fmt: skip
    """Each difference of the two calls' tool calls: its path, and the values either side."""
    from deepdiff import DeepDiff
    from deepdiff.helper import notpresent

    kinds = {"values_changed": "changed", "type_changes": "changed",
             "dictionary_item_added": "added", "iterable_item_added": "added",
             "dictionary_item_removed": "removed", "iterable_item_removed": "removed"}  # fmt: skip
    tree = DeepDiff(_calls(original), _calls(replay), view="tree")
    found = []
    for report, levels in tree.items():
        for level in levels:
            found.append({
                "path": level.path(root=""),
                "change": kinds.get(report, report),
                "original": None if level.t1 is notpresent else level.t1,
                "replay": None if level.t2 is notpresent else level.t2,
            })  # fmt: skip
    return sorted(found, key=lambda d: d["path"])


def _calls(calls: Sequence[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Tool calls as compared: name and arguments (parsed when JSON), not provider ids."""
    return [{"name": c.get("name"), "arguments": _json(c.get("arguments"))} for c in calls or []]


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def metrics(original: Side, replay: Side) -> list[dict[str, Any]]:
    """Tokens, cost, TTFT and latency either side, with the delta (and in %)."""
    rows = []
    for name, kind in METRICS:
        a, b = getattr(original, name), getattr(replay, name)
        delta = None if a is None or b is None else Decimal(str(b)) - Decimal(str(a))
        pct = None if delta is None or not a else float(delta) / float(a) * 100
        rows.append({"metric": name, "kind": kind, "original": a, "replay": b,
                     "delta": delta, "delta_pct": pct})  # fmt: skip
    return rows


@dataclass(frozen=True)
class Diff:
    """One replay against its original."""

    text: TextDiff
    tool_calls: list[dict[str, Any]]
    finish_reason: tuple[str | None, str | None]
    metrics: list[dict[str, Any]]

    @property
    def identical(self) -> bool:
        """Same words, same tool calls, same finish reason (numbers aside)."""
        same_finish = self.finish_reason[0] == self.finish_reason[1]
        return not (self.text.deleted or self.text.inserted or self.tool_calls) and same_finish


def compare(original: Side, replay: Side) -> Diff:
    return Diff(
        text=text_diff(original.output_text, replay.output_text),
        tool_calls=tool_calls_diff(original.tool_calls, replay.tool_calls),
        finish_reason=(original.finish_reason, replay.finish_reason),
        metrics=metrics(original, replay),
    )


@dataclass(frozen=True)
class Noise:
    """How much the original request's own answers vary: the stored one and ``runs``
    fresh ones."""

    runs: int
    text_floor: float  # the most words a fresh answer changed against the stored one
    tool_calls: frozenset[str]  # every tool-call set seen (as JSON)
    finish_reasons: frozenset[str | None]
    ranges: dict[str, tuple[float, float]]  # metric -> (min, max) over all the answers


def noise(original: Side, baseline: Sequence[Side]) -> Noise:
    answers = [original, *baseline]
    ranges = {}
    for name, _ in METRICS:
        values = [float(v) for s in answers if (v := getattr(s, name)) is not None]
        if values:
            ranges[name] = (min(values), max(values))
    return Noise(
        runs=len(baseline),
        text_floor=max(
            (text_diff(original.output_text, s.output_text).changed for s in baseline),
            default=0.0,
        ),
        tool_calls=frozenset(_signature(s) for s in answers),
        finish_reasons=frozenset(s.finish_reason for s in answers),
        ranges=ranges,
    )


def _signature(side: Side) -> str:
    return json.dumps(_calls(side.tool_calls), sort_keys=True)


@dataclass(frozen=True)
class Verdict:
    """Whether the replays changed the answer, beyond the noise floor when one is known."""

    changed: bool
    reasons: list[str]
    text_changed: float  # mean share of words changed over the replay runs
    beyond_noise: list[str]  # metrics whose replay mean falls outside the original's range


def judge(original: Side, replays: Sequence[Side], floor: Noise | None = None) -> Verdict:
    text = fmean(text_diff(original.output_text, r.output_text).changed for r in replays)
    reasons = []
    if text > (floor.text_floor if floor else 0.0):
        limit = f" (noise floor {floor.text_floor:.1%})" if floor else ""
        reasons.append(f"text: {text:.1%} of words changed{limit}")
    seen_calls = floor.tool_calls if floor else frozenset({_signature(original)})
    if any(_signature(r) not in seen_calls for r in replays):
        reasons.append("tool calls differ")
    seen_finish = floor.finish_reasons if floor else frozenset({original.finish_reason})
    finishes = sorted({str(r.finish_reason) for r in replays if r.finish_reason not in seen_finish})
    if finishes:
        reasons.append(f"finish reason {', '.join(finishes)}")
    beyond = []
    for name, (low, high) in (floor.ranges if floor else {}).items():
        values = [float(v) for r in replays if (v := getattr(r, name)) is not None]
        if values and not low <= fmean(values) <= high:
            beyond.append(name)
    return Verdict(bool(reasons), reasons, text, beyond)
