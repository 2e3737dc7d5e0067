"""`llmlog check`'s rules: read from TOML (``tomllib``), checked, with the line of a mistake.

A rule file is a list of ``[[rule]]`` tables::

    [[rule]]
    name = "p95-ttft"          # unique; names the rule in output, state and notifications
    metric = "p95_ttft_ms"     # see METRICS
    threshold = 800            # fires when the value is above it (op = "<" for below)
    window = "10m"             # the calls the metric reads: the last 10 minutes
    for = "5m"                 # optional: fires once the condition held this long
    scope = "feature"          # all (default) | feature | tenant | model: each one apart
    feature = "support"        # optional filters: feature, tenant, model
    min_calls = 10             # fewer calls (or scores) in a scope: not judged

``cost_per_day`` takes ``budget`` (USD a day, or "history": the mean daily spend of the
``history`` days before today) and ``budgets`` per scope value; it fires above
``threshold`` x budget. ``spend_sigma`` (scope tenant) fires when today's spend is above the
tenant's mean + ``threshold`` standard deviations over ``history``. ``score_drop_wow`` is the
drop of the mean judge score from the week before last to the last week, in points.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from llmlog.errors import ConfigError

PERCENTILES = {f"p{p}_{m}_ms": (p, m) for p in (50, 95, 99) for m in ("latency", "ttft")}
WINDOWED = ("error_rate", "refusal_rate", "calls", "output_tokens", *PERCENTILES)
METRICS = (*WINDOWED, "cost_per_day", "spend_sigma", "score_drop_wow")
SCOPES = {"all": "none", "feature": "feature", "tenant": "tenant_id", "model": "model"}
OPS = (">", ">=", "<", "<=")
_KEYS = {"name", "metric", "threshold", "op", "window", "for", "scope", "feature", "tenant",
         "model", "min_calls", "budget", "budgets", "history"}  # fmt: skip
_DURATION = re.compile(
    r"^\s*(\d+)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)\s*$"
)
_UNIT = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
DEFAULT_WINDOW = timedelta(minutes=10)
DEFAULT_HISTORY = timedelta(days=30)
BUNDLED = Path(__file__).resolve().parent / "checks.toml"


@dataclass(frozen=True)
class Rule:
    name: str
    metric: str
    threshold: float
    op: str = ">"
    window: timedelta = DEFAULT_WINDOW
    hold: timedelta = timedelta(0)  # the rule's `for`
    scope: str = "all"
    filters: dict[str, str] = field(default_factory=dict)  # feature, tenant_id, model
    min_calls: int = 1
    budget: float | str | None = None
    budgets: dict[str, float] = field(default_factory=dict)
    history: timedelta = DEFAULT_HISTORY

    def breached(self, value: float, threshold: float) -> bool:
        return {">": value > threshold, ">=": value >= threshold, "<": value < threshold,
                "<=": value <= threshold}[self.op]  # fmt: skip


class RuleFileError(ConfigError):
    """A rule file that cannot be used (exit 2), naming the line."""


def parse_duration(text: object) -> timedelta:
    """``10m``, ``10 minutes``, ``1h``, ``7d``…; ValueError otherwise."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{text!r} is not a duration (e.g. 10m, 10 minutes, 1h, 7d)")
    return timedelta(**{_UNIT[match.group(2)[0]]: int(match.group(1))})


def parse(text: str, source: str) -> list[Rule]:
    """The rules in ``text``; RuleFileError naming ``source``, the line and what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleFileError(f"{source}: {exc}", hint=_HINT) from None
    lines = text.splitlines()
    tables = data.get("rule")
    extra = sorted(set(data) - {"rule"})
    if extra or not isinstance(tables, list) or not tables:
        where = _line(lines, 0, extra[0] if extra else None, header=not extra)
        raise RuleFileError(
            f"{source}, line {where}: "
            + (f"unknown key {extra[0]!r}" if extra else "no [[rule]] tables"),
            hint=_HINT,
        )
    rules, names = [], set()
    for index, table in enumerate(tables):
        try:
            rule = _rule(table)
        except _Bad as bad:
            line = _line(lines, index, bad.key)
            raise RuleFileError(f"{source}, line {line}: {bad}", hint=_HINT) from None
        if rule.name in names:
            line = _line(lines, index, "name")
            raise RuleFileError(f"{source}, line {line}: a second rule named {rule.name!r}")
        names.add(rule.name)
        rules.append(rule)
    return rules


_HINT = "see `llmlog check --help` and README's `llmlog check` for the rule keys"


class _Bad(ValueError):
    def __init__(self, key: str | None, message: str) -> None:
        super().__init__(message)
        self.key = key


def _rule(table: dict[str, Any]) -> Rule:
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise _Bad(unknown[0], f"unknown key {unknown[0]!r} (keys: {', '.join(sorted(_KEYS))})")
    name, metric = table.get("name"), table.get("metric")
    if not isinstance(name, str) or not name.strip():
        raise _Bad("name", "a rule needs a name (text)")
    if metric not in METRICS:
        raise _Bad("metric", f"metric {metric!r} is not one of {', '.join(METRICS)}")
    threshold = _number(table, "threshold", required=True)
    op, scope = table.get("op", ">"), table.get("scope", "all")
    if op not in OPS:
        raise _Bad("op", f"op {op!r} is not one of {' '.join(OPS)}")
    if scope not in SCOPES or (metric == "spend_sigma" and scope != "tenant"):
        allowed = "tenant" if metric == "spend_sigma" else ", ".join(SCOPES)
        raise _Bad("scope", f"scope {scope!r} is not one of {allowed}")
    filters = {}
    for key, column in (("feature", "feature"), ("tenant", "tenant_id"), ("model", "model")):
        if key in table:
            if not isinstance(table[key], str):
                raise _Bad(key, f"{key} must be text")
            filters[column] = table[key]
    min_calls = table.get("min_calls", 1)
    if not isinstance(min_calls, int) or isinstance(min_calls, bool) or min_calls < 1:
        raise _Bad("min_calls", "min_calls must be a whole number of at least 1")
    return Rule(
        name=name.strip(),
        metric=metric,
        threshold=threshold,
        op=op,
        window=_duration(table, "window", DEFAULT_WINDOW),
        hold=_duration(table, "for", timedelta(0)),
        scope=scope,
        filters=filters,
        min_calls=min_calls,
        budget=_budget(table, metric),
        budgets=_budgets(table),
        history=_duration(table, "history", DEFAULT_HISTORY),
    )


def _number(table: dict[str, Any], key: str, *, required: bool = False) -> float:
    value = table.get(key)
    if value is None and not required:
        return 0.0
    if key not in table:
        raise _Bad(None, f"the rule has no {key} (a number)")
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _Bad(key, f"{key} must be a number")
    return float(value)


def _duration(table: dict[str, Any], key: str, default: timedelta) -> timedelta:
    if key not in table:
        return default
    try:
        return parse_duration(table[key])
    except ValueError as exc:
        raise _Bad(key, f"{key}: {exc}") from None


def _budget(table: dict[str, Any], metric: str) -> float | str | None:
    budget = table.get("budget")
    if metric != "cost_per_day":
        if budget is not None or "budgets" in table:
            raise _Bad("budget" if budget is not None else "budgets",
                       "budget and budgets are for metric cost_per_day")  # fmt: skip
        return None
    if budget == "history":
        return budget
    if budget is None and "budgets" in table:
        return None
    if not isinstance(budget, int | float) or isinstance(budget, bool) or budget <= 0:
        raise _Bad("budget" if "budget" in table else "metric",
                   'cost_per_day needs budget = USD a day (above 0), or "history"')  # fmt: skip
    return float(budget)


def _budgets(table: dict[str, Any]) -> dict[str, float]:
    budgets = table.get("budgets", {})
    if not isinstance(budgets, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in budgets.values()
    ):
        raise _Bad("budgets", "budgets must be a table of scope value = USD a day")
    return {str(k): float(v) for k, v in budgets.items()}


def _line(lines: list[str], index: int, key: str | None, *, header: bool = False) -> int:
    """The line (from 1) of ``key`` in the ``index``-th ``[[rule]]`` table, else of the table's
    header (or of a top-level ``key`` when ``header`` is false and no table holds it)."""
    starts = [n for n, line in enumerate(lines) if line.strip().replace(" ", "") == "[[rule]]"]
    if not starts:
        found = _find(lines, 0, len(lines), key)
        return (found if found is not None else 0) + 1
    if header:
        return starts[min(index, len(starts) - 1)] + 1
    if index >= len(starts):  # (a top-level key, before any table)
        found = _find(lines, 0, starts[0], key)
        return (found if found is not None else 0) + 1
    end = starts[index + 1] if index + 1 < len(starts) else len(lines)
    found = _find(lines, starts[index], end, key)
    return (found if found is not None else starts[index]) + 1


def _find(lines: list[str], start: int, end: int, key: str | None) -> int | None:
    if key is None:
        return None
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    return next((n for n in range(start, end) if pattern.match(lines[n])), None)


def load(path: Path | None, home: Path) -> tuple[list[Rule], str]:
    """The rules of ``path``, else of ``home/checks.toml``, else the bundled ones; and where
    they came from."""
    chosen = path or (home / "checks.toml")
    if path is None and not chosen.exists():
        return defaults(), "bundled defaults"
    try:
        text = chosen.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(
            f"cannot read rule file {chosen}: {getattr(exc, 'strerror', None) or exc}",
            hint="give a readable UTF-8 TOML file (--rules FILE)",
        ) from None
    return parse(text, str(chosen)), str(chosen)


def defaults() -> list[Rule]:
    """The bundled rules (``checks.toml`` beside this module)."""
    return parse(BUNDLED.read_text(encoding="utf-8"), str(BUNDLED))
