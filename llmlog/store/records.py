"""A call record: a dict keyed by ``llm_calls`` column names, and its JSON form.

Capture, the demo, the spool and ``llmlog ingest`` all speak this one shape. Kept free of
SQLAlchemy so the writer thread and short commands stay light.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

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


def complete(record: Record) -> Record:
    """``record`` with defaults filled in for the columns that have one."""
    return {**DEFAULTS, **{k: v for k, v in record.items() if v is not None}}


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
