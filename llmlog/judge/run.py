"""Judging drawn calls: each sent to the judge model through the real SDK (replay's
provider handling), its verdict read, and one score row stored as each finishes.

The judge's own calls are captured like any other, with feature ``llmlog.judge``, the
judged call's tenant and user (its content is theirs: access and ``forget`` treat it so),
the rubric version as prompt version and ``metadata.llmlog_judge`` naming the judged call;
sampling never draws them. An answer with no readable verdict is asked for again once,
then stored as ``failed`` (never as a score). A provider error stores nothing (the next
run tries again) and the others go on. Interrupted, the calls being judged finish and are
stored; a rerun skips them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import llmlog
from llmlog.errors import LlmlogError
from llmlog.judge import prompt
from llmlog.judge.sample import Item
from llmlog.judge.verdict import Unreadable, read

if TYPE_CHECKING:
    import psycopg

FEATURE = "llmlog.judge"
METADATA_KEY = "llmlog_judge"
DEFAULT_MODEL = "gpt-4o-mini"
# Tokens a verdict takes (a score and two sentences), for the dry run's estimate.
ANSWER_TOKENS = 120
CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class Scored:
    """One judged call: what its score row holds (``error`` set when nothing is stored)."""

    item: Item
    status: str  # scored | failed | error (a provider error: not stored)
    score: float | None = None
    passed: bool | None = None
    rationale: str | None = None
    error: str | None = None
    response_model: str | None = None
    judge_call_id: uuid.UUID | None = None
    cost_usd: Decimal | None = None


@dataclass
class Summary:
    drawn: int = 0
    already_scored: int = 0
    judged: list[Scored] = field(default_factory=list)
    interrupted: bool = False
    stored: bool = False

    def as_dict(self) -> dict[str, Any]:
        count = {s: sum(1 for j in self.judged if j.status == s) for s in ("scored", "failed")}
        costs = [j.cost_usd for j in self.judged if j.cost_usd is not None]
        scores = [j.score for j in self.judged if j.score is not None]
        return {
            "drawn": self.drawn,
            "already_scored": self.already_scored,
            **count,
            "errors": sum(1 for j in self.judged if j.status == "error"),
            "mean_score": round(sum(scores) / len(scores), 2) if scores else None,
            "cost_usd": sum(costs, Decimal(0)) if costs else None,
            "interrupted": self.interrupted,
            "problems": [
                {"id": j.item.id, "status": j.status, "error": j.error}
                for j in self.judged
                if j.error
            ][:20],
        }


def estimate(todo: list[Item], judge_model: str) -> Decimal | None:
    """What judging ``todo`` would cost: each call's size (and its rubric) in tokens, a
    verdict's tokens out, at the judge model's prices (None: no price known)."""
    from llmlog.replay.request import Request
    from llmlog.replay.run import estimate_cost

    if not todo:
        return Decimal(0)
    chars = sum(item.chars + len(prompt.system_text(item.rubric)) + 200 for item in todo)
    tokens = {"input_tokens": chars // CHARS_PER_TOKEN, "output_tokens": ANSWER_TOKENS * len(todo),
              "cache_read_tokens": 0, "cache_write_tokens": 0}  # fmt: skip
    provider = prompt.provider_of(judge_model)
    endpoint = "messages" if provider == "anthropic" else "chat.completions"
    return estimate_cost(Request(provider, endpoint, {"model": judge_model}), tokens)


def judge(
    conn: psycopg.Connection,
    todo: list[Item],
    *,
    judge_model: str,
    concurrency: int = 4,
    base_url: str | None = None,
) -> Summary:
    """Judge ``todo`` (``concurrency`` at a time), storing each score as it comes."""
    from llmlog.replay.send import client_for

    client = client_for(prompt.provider_of(judge_model), base_url=base_url)
    summary = Summary()
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="llmlog-judge")
    pending: set[Future[Scored]] = set()
    calls = _loaded(conn, todo)

    def finish(futures: set[Future[Scored]]) -> None:
        for future in futures:
            scored = future.result()
            _store(conn, scored, judge_model)
            summary.judged.append(scored)

    try:
        for item, call in calls:
            pending.add(pool.submit(_judge_one, client, item, call, judge_model))
            if len(pending) >= 2 * concurrency:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                finish(finished)
        while pending:
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            finish(finished)
    except KeyboardInterrupt:
        summary.interrupted = True
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True)
        finish({f for f in pending if f.done() and not f.cancelled()})
    finally:
        pool.shutdown(wait=True)
        summary.stored = llmlog.flush(30)
    return summary


def _loaded(conn: psycopg.Connection, todo: list[Item]) -> Iterator[tuple[Item, dict[str, Any]]]:
    """Each drawn call with its stored row (one gone since the draw is left out)."""
    from llmlog.reports.run import run

    for item in todo:
        rows = run(conn, "call", {"id": item.id, "ts": item.ts})
        if rows:
            yield item, rows[0]


def _judge_one(client: Any, item: Item, call: dict[str, Any], judge_model: str) -> Scored:
    from llmlog.replay.send import send_in

    rubric = item.rubric
    context = {
        "feature": FEATURE,
        "tenant_id": call.get("tenant_id"),
        "user_id": call.get("user_id"),
        "prompt_version": f"{rubric.name}@{rubric.sha256[:12]}",
    }
    cost, answer, outcome, problem = Decimal(0), None, None, ""
    for attempt in (1, 2):
        request = prompt.request_for(judge_model, rubric, call, bad=answer)
        metadata = {METADATA_KEY: {"call_id": str(item.id), "rubric": rubric.name,
                                   "attempt": attempt}}  # fmt: skip
        try:
            outcome = send_in(request, client, context=context, metadata=metadata)
        except LlmlogError as exc:
            return Scored(item, "error", error=exc.message)
        except Exception as exc:  # one odd answer must not stop the run
            return Scored(item, "error", error=f"{type(exc).__name__}: {exc}")
        cost += outcome.cost_usd or 0
        answer = outcome.output_text or ""
        try:
            verdict = read(answer, rubric)
        except Unreadable as exc:
            problem = str(exc)
            continue
        return Scored(item, "scored", verdict.score, verdict.passed, verdict.rationale,
                      response_model=outcome.model, judge_call_id=outcome.call_id,
                      cost_usd=cost)  # fmt: skip
    assert outcome is not None
    return Scored(item, "failed", error=f"unreadable twice: {problem}",
                  response_model=outcome.model, judge_call_id=outcome.call_id,
                  cost_usd=cost)  # fmt: skip


def _store(conn: psycopg.Connection, scored: Scored, judge_model: str) -> None:
    if scored.status == "error":
        return
    rubric = scored.item.rubric
    conn.execute(
        "INSERT INTO llm_scores (call_id, call_ts, judge_model, rubric, rubric_sha256, status, "
        "score, passed, rationale, error, judge_response_model, judge_call_id, judge_cost_usd) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (scored.item.id, scored.item.ts, judge_model, rubric.name, rubric.sha256,
         scored.status, scored.score, scored.passed, scored.rationale, scored.error,
         scored.response_model, scored.judge_call_id, scored.cost_usd),
    )  # fmt: skip
