"""Replay a stored call, perhaps with another model, provider or prompt, and see what changed.

``plan(call, overrides)`` is the request a replay would send (``--dry-run``);
``replay(call, overrides, options)`` sends it through the real SDK, captured by llmlog as a
new call with ``replay_of``, and compares the answers (``Report``).
"""

from __future__ import annotations

from llmlog.replay.request import Overrides, Request, load
from llmlog.replay.run import Options, Plan, Report, plan, replay

__all__ = ["Options", "Overrides", "Plan", "Report", "Request", "load", "plan", "replay"]
