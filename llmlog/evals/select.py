"""Which calls an eval set gets: the ones that went wrong, plus a random baseline slice.

Candidates come from one scan of the window that reads no content but the head of each
output (``queries/sample_evals.sql``): the reasons each call matched and a draw seeded by
``seed``; the random slice is the calls of lowest draw (a second, top-N scan). They are
taken in turns across the reasons asked for; within a reason the features take turns too
(stratified, so one noisy feature cannot fill the set), in draw order; the random slice is
taken in draw order alone (representative of the traffic). Only the calls considered are
read in full, to drop near-duplicates (same system prompt and messages once whitespace,
case and numbers are normalised) — the first taken stays.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmlog.errors import ConfigError, UsageError
from llmlog.reports.filters import Filters
from llmlog.reports.run import Row, run

if TYPE_CHECKING:
    import psycopg

REASONS = ("thumbs_down", "slow", "expensive", "refusal", "error", "low_score", "random")
DEFAULT_WHY = REASONS[:5]  # low_score and random are asked for
# Looked for (case-insensitively) in the first 300 characters of an output; an apostrophe
# matches any one character, so "can't" also finds "can’t".
REFUSAL_PHRASES = (
    "I can't help with",
    "I can't assist with",
    "I cannot help with",
    "I cannot assist with",
    "I'm unable to",
    "I am unable to",
    "I'm not able to",
    "I'm sorry, but I can't",
    "I won't be able to",
)
# How many of the random slice's calls the candidates scan hands back, per call asked for.
RANDOM_DEPTH = 20


@dataclass(frozen=True)
class Options:
    """What to select; the thresholds and phrases say what "slow", "expensive" and
    "refusal" mean."""

    why: tuple[str, ...] = DEFAULT_WHY
    limit: int = 50
    slow_ms: float = 5000.0
    expensive_usd: Decimal = Decimal("0.10")
    per_feature: int | None = None
    seed: int = 0
    refusal_phrases: tuple[str, ...] = REFUSAL_PHRASES
    new_only: bool = False  # leave out calls an earlier export wrote
    low_score: float | None = None  # low_score: a judge score below this (None: not passed)

    def check(self) -> None:
        unknown = [reason for reason in self.why if reason not in REASONS]
        if unknown or not self.why:
            raise UsageError(
                f"unknown reason {unknown[0]!r}" if unknown else "no reason given",
                hint=f"--why takes a comma-separated list of {', '.join(REASONS)}",
            )
        if self.limit < 1 or (self.per_feature is not None and self.per_feature < 1):
            raise UsageError("--limit and --per-feature take a whole number of at least 1")
        if self.slow_ms < 0 or self.expensive_usd < 0:
            raise UsageError("--slow-ms and --expensive-usd take a number of at least 0")


def new_seed() -> int:
    """A fresh seed for a run that was given none (printed, so the run can be repeated)."""
    import secrets

    return secrets.randbelow(1_000_000)


def configured_phrases() -> tuple[str, ...]:
    """``refusal_phrases`` of config.toml (a list of strings), else REFUSAL_PHRASES."""
    from llmlog import config

    value = config.file_settings().get("refusal_phrases")
    if value is None:
        return REFUSAL_PHRASES
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f"refusal_phrases in {config.config_file()} must be a list of strings",
            hint='e.g. refusal_phrases = ["I can\'t help with", "I\'m unable to"]',
        )
    return tuple(value)


@dataclass
class Candidate:
    id: Any
    ts: Any
    feature: str | None
    draw: int
    reasons: list[str] = field(default_factory=list)


@dataclass
class Selection:
    """The chosen calls (full rows, oldest first, each with its ``reasons``) and counts."""

    calls: list[Row]
    candidates: int
    duplicates: int
    capped: int
    read: int  # calls whose content was read


def like_patterns(phrases: Sequence[str]) -> list[str] | None:
    """Lowercase LIKE patterns finding each phrase anywhere in lowercased text (``%`` and
    ``_`` in it taken literally)."""
    patterns = []
    for phrase in phrases:
        escaped = phrase.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        patterns.append("%" + re.sub(r"['’]", "_", escaped) + "%")
    return patterns or None


def candidates(conn: psycopg.Connection, filters: Filters, options: Options) -> list[Candidate]:
    """Every call of the window that matched a reason asked for, and the random slice."""
    rows = run(
        conn,
        "sample_evals",
        {
            **filters.params(),
            "why": list(options.why),
            "slow_ms": options.slow_ms,
            "expensive_usd": options.expensive_usd,
            "refusal_like": like_patterns(options.refusal_phrases),
            "seed": options.seed,
            "random_limit": options.limit * RANDOM_DEPTH if "random" in options.why else 0,
            "new_only": options.new_only,
            "low_score": options.low_score,
        },
    )
    found: dict[Any, Candidate] = {}
    for row in rows:
        new = Candidate(row["id"], row["ts"], row["feature"], row["draw"])
        one = found.setdefault(row["id"], new)
        for reason in row["reasons"] + (["random"] if row["drawn"] else []):
            if reason in options.why and reason not in one.reasons:
                one.reasons.append(reason)
    for one in found.values():
        one.reasons.sort(key=REASONS.index)
    return list(found.values())


def queues(found: Sequence[Candidate], why: Sequence[str]) -> dict[str, list[Candidate]]:
    """Each reason's candidates in the order they are taken: features in turns (by draw
    within each), except the random slice, which is in draw order alone."""
    by_reason: dict[str, list[Candidate]] = {}
    for reason in why:
        members = sorted((c for c in found if reason in c.reasons), key=_draw_order)
        if reason != "random":
            turn: Counter[str | None] = Counter()
            ranked = []
            for one in members:
                ranked.append((turn[one.feature], one))
                turn[one.feature] += 1
            members = [one for _, one in sorted(ranked, key=lambda t: (t[0], _draw_order(t[1])))]
        by_reason[reason] = members
    return by_reason


def _draw_order(one: Candidate) -> tuple[int, str]:
    return one.draw, str(one.id)


def select(conn: psycopg.Connection, filters: Filters, options: Options) -> Selection:
    """The calls to export, chosen as the module says; deterministic for a given seed."""
    options.check()
    found = candidates(conn, filters, options)
    picker = _Picker(conn, queues(found, options.why), options)
    chosen = picker.pick()
    calls = []
    for one in chosen:
        row = picker.content[one.id]
        row["reasons"] = list(one.reasons)
        calls.append(row)
    calls.sort(key=lambda row: (row["ts"], str(row["id"])))
    return Selection(calls, len(found), picker.duplicates, picker.capped, len(picker.content))


class _Picker:
    """Takes candidates from the reasons' queues in turns, reading content in batches."""

    def __init__(
        self, conn: psycopg.Connection, by_reason: dict[str, list[Candidate]], options: Options
    ) -> None:
        self.conn = conn
        self.by_reason = by_reason
        self.options = options
        self.position = dict.fromkeys(by_reason, 0)
        self.content: dict[Any, Row] = {}
        self.taken: set[Any] = set()
        self.passed: set[Any] = set()  # duplicates and capped ones: never taken
        self.keys: set[str] = set()
        self.per_feature: Counter[str | None] = Counter()
        self.duplicates = 0
        self.capped = 0

    def pick(self) -> list[Candidate]:
        chosen: list[Candidate] = []
        active = [reason for reason, queue in self.by_reason.items() if queue]
        while active and len(chosen) < self.options.limit:
            for reason in list(active):
                if len(chosen) >= self.options.limit:
                    break
                one = self._next(reason)
                if one is None:
                    active.remove(reason)
                else:
                    chosen.append(one)
        return chosen

    def _next(self, reason: str) -> Candidate | None:
        queue = self.by_reason[reason]
        while self.position[reason] < len(queue):
            one = queue[self.position[reason]]
            self.position[reason] += 1
            if one.id in self.taken or one.id in self.passed:
                continue
            cap = self.options.per_feature
            if cap is not None and self.per_feature[one.feature] >= cap:
                self.passed.add(one.id)
                self.capped += 1
                continue
            if one.id not in self.content:
                self._read(one)
            row = self.content.get(one.id)
            if row is None:  # gone since the candidates were found (retention)
                self.passed.add(one.id)
                continue
            key = dedupe_key(row)
            if key in self.keys:
                self.passed.add(one.id)
                self.duplicates += 1
                continue
            self.taken.add(one.id)
            self.keys.add(key)
            self.per_feature[one.feature] += 1
            return one
        return None

    def _read(self, first: Candidate) -> None:
        """Read ``first`` and the next candidates of every queue (one query a batch)."""
        batch = {first.id: first}
        room = max(2 * self.options.limit, 10)
        for one in self._upcoming():
            if len(batch) >= room:
                break
            batch.setdefault(one.id, one)
        ids = [str(one.id) for one in batch.values()]
        stamps = [one.ts for one in batch.values()]
        rows = run(
            self.conn,
            "sample_evals_calls",
            {"ids": ids, "lo_ts": min(stamps), "hi_ts": max(stamps)},
        )
        for row in rows:
            self.content[row["id"]] = row

    def _upcoming(self) -> Iterator[Candidate]:
        """Candidates not yet read, the queues' next ones in turns."""
        cursors = {reason: self.position[reason] for reason in self.by_reason}
        while cursors:
            for reason in list(cursors):
                queue = self.by_reason[reason]
                while cursors[reason] < len(queue):
                    one = queue[cursors[reason]]
                    cursors[reason] += 1
                    if one.id not in self.content and one.id not in self.passed:
                        yield one
                        break
                else:
                    del cursors[reason]


_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def dedupe_key(call: Row) -> str:
    """What near-duplicates share: system prompt and messages, normalised for whitespace,
    case and numbers."""
    request = call.get("request")
    messages = request_messages(request) if isinstance(request, dict) else None
    if call.get("system_prompt") is None and messages is None:
        return f"id:{call['id']}"  # nothing to compare (metadata-only or no request)
    parts = [call.get("system_prompt") or "", *_strings(messages)]
    text = _SPACE.sub(" ", _NUMBER.sub("0", "\n".join(parts).lower())).strip()
    return hashlib.sha256(text.encode()).hexdigest()


def request_messages(request: dict[str, Any]) -> Any:
    """The conversation of a request body: Chat and Messages' ``messages``, Responses'
    ``input``."""
    return request.get("messages", request.get("input"))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key in sorted(value):
            yield from _strings(value[key])
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
