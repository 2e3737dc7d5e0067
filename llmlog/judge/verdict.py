"""Reading the judge's answer: a JSON object with a score (0-100) or a pass/fail verdict,
and a rationale. Anything else is unreadable (retried once, then recorded as failed)."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from llmlog.judge.rubric import Rubric

_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")


@dataclass(frozen=True)
class Verdict:
    score: float
    passed: bool
    rationale: str


class Unreadable(ValueError):
    """The judge's answer holds no score on the rubric's scale."""


def read(text: str | None, rubric: Rubric) -> Verdict:
    """The verdict in the judge's answer; Unreadable saying why there is none."""
    body = _FENCE.sub("", (text or "").strip())
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        raise Unreadable("no JSON object in the answer")
    try:
        data = json.loads(body[start : end + 1])
    except ValueError:
        raise Unreadable("the answer's JSON does not parse") from None
    if not isinstance(data, dict):
        raise Unreadable("the answer's JSON is not an object")
    rationale = data.get("rationale")
    rationale = rationale.strip() if isinstance(rationale, str) else ""
    if rubric.scale == "pass/fail":
        verdict = str(data.get("verdict", "")).strip().lower()
        if verdict not in ("pass", "fail"):
            raise Unreadable('no "verdict": "pass" or "fail" in the answer')
        return Verdict(100.0 if verdict == "pass" else 0.0, verdict == "pass", rationale)
    score = _number(data.get("score"))
    if score is None or not 0 <= score <= 100:
        raise Unreadable('no "score" from 0 to 100 in the answer')
    return Verdict(score, score >= rubric.pass_mark, rationale)


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None
