"""The columns capture derives from a call's bodies, derived by capture's own rules.

The demo makes the bodies an application would have sent and received; what capture
reads out of them (the normalised columns, the cost, the error vocabulary) comes from
capture's parsers, ``pricing`` and ``error_types``, never from a copy of their rules, so
demo rows and captured rows of the same exchange agree (tests/demo/test_captured.py).
"""

from __future__ import annotations

from typing import Any

from llmlog.capture import error_types
from llmlog.capture.build import cost_of
from llmlog.capture.parsers import Parsed, module_for
from llmlog.store.records import Record

# What the HTTP client raises when a provider does not answer in time (over TLS).
TIMEOUT = ("ReadTimeout", "The read operation timed out")


def answer(record: Record, body: dict[str, Any]) -> None:
    """Make ``record`` (its ``provider``, ``endpoint``, ``model``, ``request`` and ``ts``
    set) the successful call capture stores for the response ``body``."""
    parsed = module_for(record["endpoint"]).normalise(record["request"], body)
    _normalised(record, parsed, response=body, http_status=200)
    record["status"] = "ok"
    record["cost_usd"] = cost_of(record, body, parsed)


def fail(
    record: Record,
    *,
    status: int | None,
    body: dict[str, Any] | None,
    exception: tuple[str, str] | None = None,
) -> None:
    """Make ``record`` (its ``endpoint`` and ``request`` set) the failed call capture
    stores for an HTTP error ``status`` with ``body``, or for ``exception`` (class name,
    message) raised before an answer came."""
    parsed = module_for(record["endpoint"]).normalise(record["request"], None)
    _normalised(record, parsed, response=body, http_status=status)
    record["cost_usd"] = None
    name, message = exception or (None, None)
    failure = error_types.of_call(status=status, body=body, exception=name, message=message)
    assert failure is not None, "fail() is for failed calls"
    error_types.mark(record, failure)


def _normalised(record: Record, parsed: Parsed, *, response: Any, http_status: int | None) -> None:
    record.update(
        response=response,
        http_status=http_status,
        response_model=parsed.response_model,
        system_prompt=parsed.system_prompt,
        output_text=parsed.output_text,
        tool_calls=parsed.tool_calls,
        finish_reason=parsed.finish_reason,
        input_tokens=parsed.input_tokens,
        output_tokens=parsed.output_tokens,
        cache_read_tokens=parsed.cache_read_tokens,
        cache_write_tokens=parsed.cache_write_tokens,
        reasoning_tokens=parsed.reasoning_tokens,
    )
