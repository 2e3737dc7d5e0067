"""The filters every report takes, and the parameter values they bind to."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Filters:
    """Which calls a report looks at; None means "any". Names are llm_calls columns."""

    since: datetime | None = None
    until: datetime | None = None
    feature: str | None = None
    model: str | None = None
    provider: str | None = None
    tenant_id: str | None = None
    user_id: str | None = None
    trace_id: str | None = None
    prompt_version: str | None = None
    status: str | None = None
    grep: str | None = None

    def params(self) -> dict[str, Any]:
        """Query parameter values; unset time bounds are left to each query's defaults."""
        values = {
            k: v for k, v in asdict(self).items() if v is not None or k not in ("since", "until")
        }
        values["grep_like"] = like_prefilter(self.grep)
        return values


def like_prefilter(grep: str | None) -> str | None:
    """An ILIKE pattern every call matching the full-text search ``grep`` must match.

    Days that are still open have no text index yet (it is built when a day closes, to keep
    ingest fast); this pattern lets their scan skip most rows before tokenising any. It is
    the longest word of a term that must be present, or None when the search has ``or``.
    """
    if not grep:
        return None
    terms = re.findall(r'"[^"]*"|\S+', grep)
    if any(term.lower() == "or" for term in terms):
        return None
    words = [w for t in terms if not t.startswith("-") for w in _WORD.findall(t)]
    if not words:
        return None
    longest = max(words, key=len)
    return f"%{longest}%"
