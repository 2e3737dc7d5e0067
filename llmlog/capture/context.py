"""Who and what caused a call: ``llmlog.context(...)`` frames carried by contextvars.

Semantics (documented in the README):

- A call outside any context is its own trace: ``trace_id`` is its own id, no parent.
- The outermost context starts a trace: ``trace_id`` is the one given, else a fresh UUIDv7.
  Nested contexts inherit it (unless they name their own) and every other field, which
  they may override; ``metadata`` dicts are merged, inner keys winning.
- ``parent_id`` of a call is the *anchor* of the context it is made in: the most recent
  call made in the enclosing context when this context was opened (if the enclosing
  context had made none yet, its own anchor). Calls made directly in an outermost
  context have no parent.
- asyncio tasks inherit the context they were created in (contextvars semantics); a new
  thread starts empty, so open a context in the thread or run it under
  ``contextvars.copy_context().run``.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

from llmlog.ids import Key, id_of, new_id

FIELDS = ("feature", "tenant_id", "user_id", "session_id", "prompt_version")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Frame:
    """One open context: its resolved fields and the last call made directly in it.

    Calls are known here by their id keys (``llmlog.ids``): the application's thread
    never makes the UUID itself."""

    trace_id: str
    anchor: Key | None
    fields: dict[str, str | None]
    metadata: dict[str, Any]
    last_call: list[Key | None] = field(default_factory=lambda: [None])
    # A parent named from outside this process (``llmlog proxy``'s ``llmlog-parent-id``
    # header): the parent of a frame that has no anchor.
    parent: uuid.UUID | None = None

    def latest(self) -> Key | None:
        return self.last_call[0] or self.anchor


_frame: contextvars.ContextVar[Frame | None] = contextvars.ContextVar("llmlog_frame", default=None)
_last_call: contextvars.ContextVar[Key | None] = contextvars.ContextVar(
    "llmlog_last_call", default=None
)


class context:
    """Attach fields to every call made inside: ``with context(...)`` or ``@context(...)``."""

    def __init__(
        self,
        *,
        feature: str | None = None,
        tenant_id: str | None = None,
        user_id: str | None = None,
        session_id: str | None = None,
        trace_id: str | None = None,
        prompt_version: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._given = {
            "feature": feature,
            "tenant_id": tenant_id,
            "user_id": user_id,
            "session_id": session_id,
            "prompt_version": prompt_version,
        }
        self._trace_id = trace_id
        self._metadata = dict(metadata or {})
        self._tokens: list[contextvars.Token[Frame | None]] = []

    def _open(self) -> Frame:
        outer = _frame.get()
        given = {k: v for k, v in self._given.items() if v is not None}
        if outer is None:
            frame = Frame(
                trace_id=self._trace_id or str(new_id()),
                anchor=None,
                fields={**dict.fromkeys(FIELDS), **given},
                metadata=dict(self._metadata),
            )
        else:
            frame = Frame(
                trace_id=self._trace_id or outer.trace_id,
                anchor=outer.latest(),
                fields={**outer.fields, **given},
                metadata={**outer.metadata, **self._metadata},
            )
        self._tokens.append(_frame.set(frame))
        return frame

    def __enter__(self) -> Frame:
        return self._open()

    def __exit__(self, *exc: object) -> None:
        _frame.reset(self._tokens.pop())

    async def __aenter__(self) -> Frame:
        return self._open()

    async def __aexit__(self, *exc: object) -> None:
        _frame.reset(self._tokens.pop())

    def __call__(self, func: F) -> F:
        """Decorator form: each call of ``func`` runs inside a fresh copy of this context."""
        options: dict[str, Any] = {
            **self._given,
            "trace_id": self._trace_id,
            "metadata": self._metadata,
        }

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with context(**options):
                    return await func(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with context(**options):
                return func(*args, **kwargs)

        return run  # type: ignore[return-value]


class CallContext(NamedTuple):
    """What a call records about its context (worked out on the writer's thread)."""

    trace_id: str
    parent_id: uuid.UUID | None
    fields: dict[str, str | None]
    metadata: dict[str, Any]


# What the capture path does as a call starts (``exchange.begin``, written out there):
# the call becomes ``last_call_id()`` (``set_last_call(key)``) and, inside a context, the
# latest call of its frame (``current_frame().last_call[0] = key``).
set_last_call = _last_call.set
current_frame = _frame.get


def wrap_fields(defaults: dict[str, Any]) -> tuple[dict[str, str | None], dict[str, Any]]:
    """The fields and metadata ``wrap()``'s ``defaults`` give every call of a client."""
    return {k: defaults.get(k) for k in FIELDS}, dict(defaults.get("metadata") or {})


def resolve(
    call_id: uuid.UUID,
    frame: Frame | None,
    base: dict[str, str | None],
    wrap_metadata: dict[str, Any],
) -> CallContext:
    """A call's context, worked out on the writer's thread (a frame's fields, metadata and
    anchor never change once it is open). ``base`` and ``wrap_metadata`` are the client's
    (``wrap_fields``): an open context's fields win over them. A call outside any context
    shares the client's dicts: readers copy them before changing anything."""
    if frame is None:
        return CallContext(str(call_id), None, base, wrap_metadata)
    fields = {k: frame.fields.get(k) or base[k] for k in FIELDS}
    parent = frame.parent if frame.anchor is None else id_of(frame.anchor)
    return CallContext(frame.trace_id, parent, fields, {**wrap_metadata, **frame.metadata})


def last_call_id() -> uuid.UUID | None:
    """The id of the most recent call made in this thread or asyncio task (None if none)."""
    key = _last_call.get()
    return None if key is None else id_of(key)
