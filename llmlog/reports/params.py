"""Typed query parameters: turning ``--param key=value`` text into values to bind."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from llmlog.errors import UsageError
from llmlog.reports.window import is_relative, parse_time

if TYPE_CHECKING:
    from llmlog.reports.sqlfile import Query


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "t", "yes", "y", "1", "on"):
        return True
    if lowered in ("false", "f", "no", "n", "0", "off"):
        return False
    raise ValueError("expected true or false")


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


TYPES: dict[str, Callable[[str], Any]] = {
    "text": str,
    "int": int,
    "float": float,
    "numeric": Decimal,
    "bool": _bool,
    "timestamptz": parse_time,
    "date": date.fromisoformat,
    "uuid": uuid.UUID,
    "text[]": _list,
}


BIGINT = range(-(2**63), 2**63)  # what PostgreSQL can bind an int as


def convert(name: str, kind: str, text: str) -> Any:
    """``text`` as a value of type ``kind``; UsageError naming the parameter otherwise."""
    if text.strip().lower() == "null":
        return None
    try:
        return checked(name, TYPES[kind](text))
    except UsageError as exc:
        raise UsageError(f"parameter {name}: {exc.message}", hint=exc.hint) from None
    except (ValueError, InvalidOperation) as exc:
        raise UsageError(
            f"parameter {name}: {text!r} is not a valid {kind}", hint=str(exc) or None
        ) from None


def bind(query: Query, given: Mapping[str, Any]) -> dict[str, Any]:
    """Values for every parameter of ``query``: given (text is converted) or the default.

    A name the query does not declare is refused: a typo on the command line, or a filter
    a report passes to a query that forgot it (which would otherwise be ignored).
    """
    unknown = sorted(set(given) - query.param_names)
    if unknown:
        declared = ", ".join(p.name for p in query.params) or "none"
        raise UsageError(
            f"query {query.name} has no parameter {unknown[0]!r}", hint=f"it takes: {declared}"
        )
    values: dict[str, Any] = {}
    for param in query.params:
        value = given.get(param.name)
        if value is None and param.name not in given:
            if param.required:
                raise UsageError(
                    f"query {query.name} needs parameter {param.name} ({param.type})",
                    hint=f"add --param {param.name}=VALUE",
                )
            value = param.default
        values[param.name] = (
            convert(param.name, param.type, value)
            if isinstance(value, str)
            else checked(param.name, value)
        )
    _count_back_from_until(query, given, values)
    return values


def checked(name: str, value: Any) -> Any:
    """``value``, or UsageError when it is an int PostgreSQL cannot take."""
    if isinstance(value, int) and not isinstance(value, bool) and value not in BIGINT:
        raise UsageError(
            f"parameter {name}: {value} is out of range",
            hint=f"whole numbers run from {BIGINT.start} to {BIGINT.stop - 1}",
        )
    return value


def _count_back_from_until(query: Query, given: Mapping[str, Any], values: dict[str, Any]) -> None:
    """A default ``since`` such as ``30d`` counts back from a given past ``until``, not now."""
    since = next((p for p in query.params if p.name == "since"), None)
    until = values.get("until")
    if since is None or since.default is None or "since" in given or "until" not in given:
        return
    if isinstance(until, datetime) and until < datetime.now(UTC) and is_relative(since.default):
        try:
            values["since"] = parse_time(since.default, until)
        except UsageError:
            raise UsageError(
                f"the default window ({since.default} before until {until:%Y-%m-%d}) is out "
                "of range",
                hint="give since too (--since)",
            ) from None
