"""A call record: a dict keyed by ``llm_calls`` column names, and its JSON form.

Capture, the demo, the spool and ``llmlog ingest`` all speak this one shape. Kept free of
SQLAlchemy so the writer thread and short commands stay light.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson

from llmlog.ids import id_time, is_v7

Record = dict[str, Any]

COLUMNS: tuple[str, ...] = (
    "id", "ts", "trace_id", "parent_id", "session_id", "tenant_id", "user_id", "feature",
    "prompt_version", "provider", "endpoint", "model", "response_model", "request", "response",
    "system_prompt", "output_text", "tool_calls", "finish_reason", "input_tokens",
    "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens", "cost_usd",
    "ttft_ms", "latency_ms", "status", "http_status", "error_type", "error_message", "feedback",
    "feedback_note", "metadata", "replay_of", "streamed",
)  # fmt: skip
JSON_COLUMNS = frozenset({"request", "response", "tool_calls", "metadata"})
UUID_COLUMNS = frozenset({"id", "parent_id", "replay_of"})
TOKEN_COLUMNS = (
    "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens"
)  # fmt: skip
REQUIRED = ("id", "ts", "trace_id", "provider", "endpoint")
DEFAULTS: Record = {"status": "ok", "metadata": {}, "streamed": False}


class JsonText(dict):  # type: ignore[type-arg]
    """A JSON object that keeps the text it was parsed from: COPY sends that text as is.

    Capture uses it for bodies it stores unchanged, saving a re-encoding per call. The
    text must be one orjson parsed (so it holds no lone surrogate escape, which jsonb
    refuses; a ``\\u0000`` escape is caught when the row is made). Any change makes a
    plain dict (never mutate one in place).
    """

    __slots__ = ("text",)

    def __init__(self, value: dict[str, Any], text: str) -> None:
        super().__init__(value)
        self.text = text


def complete(record: Record) -> Record:
    """``record`` with defaults filled in for the columns that have one."""
    return {**DEFAULTS, **{k: v for k, v in record.items() if v is not None}}


def dumps(value: object) -> str | None:
    """Compact JSON text (``None`` for ``None``), as ``json.dumps(value, ensure_ascii=False,
    separators=(",", ":"))`` writes it, only faster (orjson; the standard library for what
    orjson refuses: lone surrogates, non-string keys, integers beyond 64 bits)."""
    if value is None:
        return None
    try:
        return orjson.dumps(value, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def loads(data: bytes | str) -> Any:
    """``json.loads``, only faster (orjson; the standard library for what orjson refuses:
    lone surrogate escapes, NaN and Infinity)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def to_json(record: Record) -> str:
    """One line of llmlog's JSON form (used by the spool and ``llmlog ingest``)."""
    return json.dumps(record, default=_json_default, ensure_ascii=False, separators=(",", ":"))


def from_json(line: bytes | str) -> Record:
    """Parse and check one line of llmlog's JSON form (``validate``); ValueError says what
    is wrong with it."""
    data = parse_line(line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass"))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return validate(data)


# --- Checking a record against its columns ----------------------------------------------
#
# ``llmlog ingest`` takes any file, so every value is checked against its column before a
# batch is built: a line the store would refuse (or that would break a batch) is rejected
# alone, with the reason. Accepted ids: any UUID, as 36 characters with dashes or 32 hex
# digits. A UUIDv7 carries its call's millisecond, which *is* ``ts`` (lookups by id rely
# on it): the record's ``ts`` may be left out, or must fall in that millisecond (its
# sub-millisecond digits are dropped). Any other UUID (calls exported from another tool)
# needs its ``ts`` and is stored with it. Times from 2000-01-01 to a day from now.

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
AHEAD = timedelta(days=1)
MAX_DEPTH = 256  # JSON nesting (llmlog walks stored JSON recursively)
_MILLISECOND = timedelta(milliseconds=1)
_UUID_TEXT = re.compile(r"[0-9a-f]{8}(-?)[0-9a-f]{4}\1[0-9a-f]{4}\1[0-9a-f]{4}\1[0-9a-f]{12}", re.I)
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(rb"[\[\]{}]")


def parse_line(line: bytes) -> Any:
    """The JSON value of one line; ValueError when it is not UTF-8, not JSON, holds NaN or
    Infinity (which jsonb cannot store) or nests deeper than ``MAX_DEPTH``."""
    if line.count(b"[") + line.count(b"{") > MAX_DEPTH and _depth(line) > MAX_DEPTH:
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        pass  # the standard library says why (or reads a lone surrogate escape orjson refuses)
    try:
        text = line.decode("utf-8", "surrogatepass")  # (a spooled lone surrogate is kept)
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"not UTF-8: byte 0x{line[exc.start]:02x} at byte {exc.start + 1}"
        ) from None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    except ValueError as exc:  # NaN or Infinity, an integer of more than 4,300 digits
        raise ValueError(f"not JSON that can be stored: {exc}".split(";")[0]) from None
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels") from None


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _depth(line: bytes) -> int:
    """How deep a line's arrays and objects nest (brackets inside strings not counted)."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub(b"", line)):
        if bracket in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def validate(record: Record) -> Record:
    """``record`` as it is stored: each value checked against its column (type, range),
    JSON forms made values (UUID text, ISO 8601 times, numbers as text for ``cost_usd``),
    ``ts`` the id's millisecond for a UUIDv7, defaults filled in. ValueError names the
    first bad field and what is wrong with it. A plain function, for every writer."""
    unknown = sorted(set(record) - _CHECKS.keys())
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(unknown)}")
    out = {name: _CHECKS[name](name, value) for name, value in record.items() if value is not None}
    missing = [name for name in REQUIRED if out.get(name) in (None, "")]
    if "ts" in missing and is_v7(out.get("id")):
        missing.remove("ts")
    if missing:
        raise ValueError(f"missing field(s): {', '.join(missing)}")
    out["ts"] = _call_time(out["id"], out.get("ts"))
    return complete(out)


def problem(record: object) -> str | None:
    """What makes ``record`` unstorable (``validate``'s reason, naming the field), or None.
    Never raises: the writer asks it of what a ``redact=`` hook hands back."""
    if not isinstance(record, dict):
        return f"not a record but a {type(record).__name__}"
    try:
        validate(record)
    except ValueError as exc:
        return str(exc)
    except Exception as exc:  # a value even the checks cannot read (a hook's own type)
        return f"cannot be checked: {type(exc).__name__}: {exc}"
    return None


def uuid_value(name: str, value: object) -> uuid.UUID:
    """A UUID, or its text as 36 characters with dashes or 32 hex digits."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str) and _UUID_TEXT.fullmatch(value):
        return uuid.UUID(value)
    raise ValueError(f"{name}: {_shown(value)} is not a UUID")


def _call_time(call_id: uuid.UUID, ts: datetime | None) -> datetime:
    if is_v7(call_id):
        at = id_time(call_id)
        if at is None or not _in_range(at):
            shown = at.isoformat() if at else "past year 9999"
            raise ValueError(f"the time of id {call_id} ({shown}) is out of range ({_RANGE})")
        if ts is not None and not at <= ts < at + _MILLISECOND:
            raise ValueError(
                f"ts {ts.isoformat()} is not the id's time {at.isoformat()} — a UUIDv7 id "
                "carries its call's millisecond: give that ts or leave ts out"
            )
        return at
    assert ts is not None
    if not _in_range(ts):
        raise ValueError(f"ts {ts.isoformat()} is out of range ({_RANGE})")
    return ts


_RANGE = f"{EARLIEST:%Y-%m-%d} to a day from now"


def _in_range(at: datetime) -> bool:
    return EARLIEST <= at <= datetime.now(UTC) + AHEAD


def _time(name: str, value: object) -> datetime:
    at = value
    if isinstance(value, str):
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            at = None
    if not isinstance(at, datetime):
        raise ValueError(
            f"{name}: {_shown(value)} is not a time (ISO 8601, e.g. 2026-11-01T09:30:00Z)"
        )
    if at.tzinfo is None:
        raise ValueError(f"{name} has no time zone")
    try:
        return at.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{name} {_shown(value)} is out of range ({_RANGE})") from None


def _text(name: str, value: object) -> str:
    if isinstance(value, str):
        return value
    raise ValueError(f"{name}: {_shown(value)} is not a string")


def _whole(low: int, high: int) -> Callable[[str, object], int]:
    def check(name: str, value: object) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{name}: {_shown(value)} is not a whole number")
        if not low <= value <= high:
            raise ValueError(f"{name}: {_shown(value)} is out of range ({low} to {high})")
        return value

    return check


def _duration(name: str, value: object) -> float:
    number = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        with contextlib.suppress(OverflowError):  # (an int past a double's range)
            number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name}: {_shown(value)} is not a finite number")
    if number < 0:
        raise ValueError(f"{name}: {_shown(value)} is below 0")
    return number


_COST_LIMIT = Decimal(10) ** 10  # numeric(20, 10)


def _cost(name: str, value: object) -> Decimal:
    amount = None
    if isinstance(value, int | float | str | Decimal) and not isinstance(value, bool):
        with contextlib.suppress(ArithmeticError, ValueError):  # (InvalidOperation; int digits)
            amount = Decimal(str(value).strip())
    if amount is None or not amount.is_finite():
        raise ValueError(f"{name}: {_shown(value)} is not a number")
    if not 0 <= amount < _COST_LIMIT:
        raise ValueError(f"{name}: {_shown(value)} is out of range (0 to 10^10 USD)")
    return amount


def _flag(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError(f"{name}: {_shown(value)} is not true or false")


def _status(name: str, value: object) -> str:
    if value in ("ok", "error"):
        return value  # type: ignore[return-value]
    raise ValueError(f"{name}: {_shown(value)} is not ok or error")


def _json(name: str, value: object) -> object:
    return value  # (whatever JSON held; a record made in Python is serialised when stored)


def _json_object(name: str, value: object) -> object:
    if isinstance(value, dict):
        return value
    raise ValueError(f"{name}: {_shown(value)} is not a JSON object")


def _json_array(name: str, value: object) -> object:
    if isinstance(value, list):
        return value
    raise ValueError(f"{name}: {_shown(value)} is not a JSON array")


def _shown(value: object) -> str:
    """A value as JSON writes it, cut to 40 characters (for messages)."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):  # an integer of more than 4,300 digits
        return f"a {type(value).__name__}"
    return text if len(text) <= 40 else text[:39] + "…"


# The labels the report indexes hold (migration 0002's covering index, the per-label
# indexes, the rollups' key): a btree entry holds at most 2,704 bytes, so each is capped.
LABEL_BYTES = 256
LABEL_COLUMNS = ("feature", "model", "provider", "tenant_id", "user_id", "prompt_version",
                 "finish_reason", "trace_id")  # fmt: skip


def fit_labels(record: Record) -> None:
    """Cut each label the report indexes could not hold to ``LABEL_BYTES`` bytes, ending
    in ``…`` (capture stores the call rather than losing it; ingest refuses the line)."""
    for name in LABEL_COLUMNS:
        value = record.get(name)
        if isinstance(value, str) and len(value) * 4 > LABEL_BYTES:
            data = value.encode("utf-8", "surrogatepass")
            if len(data) > LABEL_BYTES:
                record[name] = data[: LABEL_BYTES - 3].decode("utf-8", "ignore") + "…"


def _label(name: str, value: object) -> str:
    text = _text(name, value)
    if len(text) * 4 > LABEL_BYTES and len(text.encode("utf-8", "surrogatepass")) > LABEL_BYTES:
        raise ValueError(f"{name} is longer than {LABEL_BYTES} bytes (a label, indexed)")
    return text


_INT4 = 2**31 - 1
_CHECKS: dict[str, Callable[[str, Any], object]] = {
    **dict.fromkeys(COLUMNS, _text),
    **dict.fromkeys(LABEL_COLUMNS, _label),
    **dict.fromkeys(UUID_COLUMNS, uuid_value),
    **dict.fromkeys(("request", "response"), _json),
    **dict.fromkeys(TOKEN_COLUMNS, _whole(0, _INT4)),
    **dict.fromkeys(("ttft_ms", "latency_ms"), _duration),
    "ts": _time,
    "tool_calls": _json_array,
    "metadata": _json_object,
    "cost_usd": _cost,
    "status": _status,
    "http_status": _whole(100, 599),
    "feedback": _whole(-1, 1),
    "streamed": _flag,
}


def _json_default(value: object) -> object:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# --- Poison text and oversize payloads -------------------------------------------------
#
# PostgreSQL refuses U+0000 in text and jsonb, and UTF-8 cannot carry a lone surrogate
# (U+D800-U+DFFF); model output can contain both. Such a string is stored escaped:
# each backslash is doubled and each offending code point is written as ``\uXXXX``
# (six characters), and the string's place is listed in ``metadata.llmlog_escaped``
# (``output_text``, ``response.choices.0.message.content``, ...). ``unescape`` reverses it
# exactly. Strings without such code points are stored untouched.

ESCAPED = "llmlog_escaped"
TRUNCATED = "llmlog_truncated"
_POISON = re.compile("[\x00\ud800-\udfff]")
_KEY_MARK = ":key"
_ESCAPE_SEQ = re.compile(r"\\(\\|u[0-9a-f]{4})")


def is_poisoned(text: str) -> bool:
    if "\x00" in text:
        return True
    return not text.isascii() and _POISON.search(text) is not None


def escape_text(text: str) -> str:
    return _POISON.sub(lambda m: f"\\u{ord(m.group()):04x}", text.replace("\\", "\\\\"))


def unescape_text(text: str) -> str:
    def back(match: re.Match[str]) -> str:
        seq = match.group(1)
        return "\\" if seq == "\\" else chr(int(seq[1:], 16))

    return _ESCAPE_SEQ.sub(back, text)


def _escape_value(value: Any, path: str, found: list[str]) -> Any:
    if isinstance(value, str):
        if is_poisoned(value):
            found.append(path)
            return escape_text(value)
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            safe = key
            if is_poisoned(key):
                safe = escape_text(key)
                found.append(f"{path}.{safe}{_KEY_MARK}")
            out[safe] = _escape_value(item, f"{path}.{safe}", found)
        return out
    if isinstance(value, list):
        return [_escape_value(item, f"{path}.{i}", found) for i, item in enumerate(value)]
    return value


def escape_poison(record: Record) -> Record:
    """``record`` with poison strings escaped and listed in ``metadata.llmlog_escaped``."""
    found: list[str] = []
    out = {name: _escape_value(value, name, found) for name, value in record.items()}
    if found:
        out["metadata"] = {**(out.get("metadata") or {}), ESCAPED: found}
    return out


def unescape(record: Record) -> Record:
    """The record as captured: undoes ``escape_poison`` for the places it lists."""
    paths = (record.get("metadata") or {}).get(ESCAPED) or []
    out = json.loads(json.dumps(record, default=_json_default))
    for path in reversed(paths):  # children before the keys above them are renamed
        is_key = path.endswith(_KEY_MARK)
        *parents, last = path.removesuffix(_KEY_MARK).split(".")
        holder: Any = out
        for part in parents:
            holder = holder[int(part)] if isinstance(holder, list) else holder[part]
        if is_key:
            holder[unescape_text(last)] = holder.pop(last)
        else:
            key: Any = int(last) if isinstance(holder, list) else last
            holder[key] = unescape_text(holder[key])
    return out


def truncate_text(text: str, limit: int) -> str:
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return text
    head = data[:limit].decode("utf-8", "ignore")
    return f"{head}…[llmlog: truncated, {len(data)} bytes in all]"


def truncated_payload(dumped: str, limit: int) -> dict[str, Any]:
    """What an oversize JSON column holds instead: a marker, the size and the head."""
    data = dumped.encode("utf-8", "surrogatepass")
    head = data[:limit].decode("utf-8", "ignore")
    return {TRUNCATED: True, "bytes": len(data), "head": head}
