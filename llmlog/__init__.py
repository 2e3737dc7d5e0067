"""llmlog: capture every OpenAI/Anthropic call into PostgreSQL, then query and replay it.

The capture API. Importing ``llmlog`` is cheap: the SDKs, SQLAlchemy and the price data
load only when a function that needs them runs.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, TypeVar

from llmlog.__about__ import __version__
from llmlog.capture.context import context, last_call_id

if TYPE_CHECKING:
    from llmlog.settings import Settings

__all__ = [
    "__version__",
    "configure",
    "context",
    "feedback",
    "flush",
    "last_call_id",
    "stats",
    "wrap",
]

C = TypeVar("C")


def wrap(client: C, **fields: Any) -> C:
    """Instrument an ``OpenAI``/``AsyncOpenAI``/``Anthropic``/``AsyncAnthropic`` client.

    Returns a client that behaves exactly like ``client`` and records every call; the
    keyword fields (``feature``, ``tenant_id``, ``user_id``, ``session_id``,
    ``prompt_version``, ``metadata``) are defaults that an open ``context`` overrides.
    """
    from llmlog.capture.wrap import wrap as _wrap

    return _wrap(client, **fields)


def configure(**options: Any) -> Settings:
    """Set capture options (see ``llmlog.settings``); keywords win over ``LLMLOG_*``.

    Privacy options apply at once; a running writer is flushed and replaced so that
    storage options (database, queue, batch, spool) apply to the next call.
    """
    from llmlog.capture import writer
    from llmlog.settings import configure as set_options

    result = set_options(**options)
    writer.shutdown()
    if result.flush_on_sigterm:
        from llmlog.capture import sigterm

        sigterm.install()
    return result


def feedback(call_id: uuid.UUID | str, value: int | str, *, note: str | None = None) -> None:
    """Attach feedback (+1/-1/0 or ``up``/``down``) to a call, in order with its record.

    Never blocks on the store: it is queued behind the call itself (spooled when the
    store is down). A bad ``value`` or ``call_id`` raises ValueError.
    """
    from llmlog.capture import writer
    from llmlog.capture.feedback import parse_value
    from llmlog.errors import ConfigError

    item = writer.Feedback(uuid.UUID(str(call_id)), parse_value(value), note)
    try:
        found = writer.get()
    except ConfigError:  # capture is off, said once at WARNING (``stats()["config_error"]``)
        return
    found.feedback(item)


def flush(timeout: float | None = 5.0) -> bool:
    """Wait until every call made so far is stored (or spooled); False on timeout."""
    from llmlog.capture import writer

    found = writer.current()
    return True if found is None else found.flush(timeout)


def stats() -> dict[str, Any]:
    """This process's capture counters: made = stored + spooled + dropped + queued; and
    ``uncaptured`` calls, not made at all for the invalid setting ``config_error`` names."""
    from llmlog.capture import writer

    found = writer.current()
    if found is None:
        return {"made": 0, "stored": 0, "spooled": 0, "dropped": 0, "rejected": 0, "queued": 0,
                "store_up": None, **writer.unconfigured()}  # fmt: skip
    return found.stats()
