"""A call record: a dict keyed by ``llm_calls`` column names, and its JSON form.

Capture, the demo, the spool and ``llmlog ingest`` all speak this one shape. Kept free of
SQLAlchemy so the writer thread and short commands stay light.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

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


def from_json(line: str) -> Record:
    """Parse one line of llmlog's JSON form; ValueError says what is wrong with it."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    unknown = sorted(set(data) - set(COLUMNS))
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(unknown)}")
    missing = [name for name in REQUIRED if data.get(name) in (None, "")]
    if missing:
        raise ValueError(f"missing field(s): {', '.join(missing)}")
    try:
        for name in UUID_COLUMNS & data.keys():
            if data[name] is not None:
                data[name] = uuid.UUID(str(data[name]))
        data["ts"] = datetime.fromisoformat(str(data["ts"]))
        if data.get("cost_usd") is not None:
            data["cost_usd"] = Decimal(str(data["cost_usd"]))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"bad value: {exc}") from exc
    if data["ts"].tzinfo is None:
        raise ValueError("ts has no time zone")
    return complete(data)


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
