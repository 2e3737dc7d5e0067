"""Replaying many calls: chosen by report filters or given by id, sent concurrently, their
cost estimated first and their changes summarised after.

Each call is replayed as ``llmlog replay ID`` would (``run.replay_with``), by a pool of
``concurrency`` threads sharing one SDK client per provider (whose retries back off as
``retry-after`` says). A call that cannot be replayed (content removed, a half-finished
tool exchange, a provider error) counts as failed; the others go on. Interrupted
(Ctrl-C), the replays already running finish, the rest are not sent, and the summary
covers what finished.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import fmean
from typing import TYPE_CHECKING, Any

import llmlog
from llmlog.errors import LlmlogError
from llmlog.replay.request import Overrides
from llmlog.replay.run import Options, plan, replay_with
from llmlog.replay.send import client_for

if TYPE_CHECKING:
    import psycopg

    from llmlog.reports.filters import Filters

MOST_CHANGED = 5


@dataclass(frozen=True)
class Item:
    """One call's replay in a batch."""

    id: uuid.UUID
    status: str  # identical | changed | failed
    replay_id: uuid.UUID | None = None
    text_changed: float | None = None
    cost_delta: Decimal | None = None
    latency_delta_ms: float | None = None
    output_tokens_delta: int | None = None
    error: str | None = None


@dataclass
class Summary:
    items: list[Item] = field(default_factory=list)
    planned: int = 0
    interrupted: bool = False
    stored: bool = False

    def counts(self) -> dict[str, int]:
        found = {"identical": 0, "changed": 0, "failed": 0}
        for item in self.items:
            found[item.status] += 1
        return found

    def changed_pct(self) -> float:
        """Changed replays as a percentage of those that did not fail."""
        counts = self.counts()
        done = counts["identical"] + counts["changed"]
        return counts["changed"] / done * 100 if done else 0.0

    def as_dict(self) -> dict[str, Any]:
        ok = [i for i in self.items if i.status != "failed"]
        costs = [i.cost_delta for i in ok if i.cost_delta is not None]
        ranked = sorted(ok, key=lambda i: i.text_changed or 0, reverse=True)
        return {
            "planned": self.planned,
            "finished": len(self.items),
            "interrupted": self.interrupted,
            **self.counts(),
            "changed_pct": round(self.changed_pct(), 2),
            "total_cost_delta_usd": sum(costs, Decimal(0)) if costs else None,
            "mean_cost_delta_usd": sum(costs, Decimal(0)) / len(costs) if costs else None,
            "mean_latency_delta_ms": _mean([i.latency_delta_ms for i in ok]),
            "mean_output_tokens_delta": _mean([i.output_tokens_delta for i in ok]),
            "most_changed": [
                {"id": i.id, "text_changed": round(i.text_changed or 0, 4)}
                for i in ranked[:MOST_CHANGED]
                if i.status == "changed"
            ],
            "failures": [{"id": i.id, "error": i.error} for i in self.items if i.error],
        }


def _mean(values: Sequence[float | int | None]) -> float | None:
    kept = [float(v) for v in values if v is not None]
    return fmean(kept) if kept else None


def select(conn: psycopg.Connection, filters: Filters, limit: int) -> list[uuid.UUID]:
    """The ids of the newest ``limit`` calls the filters match."""
    from llmlog.reports.calls import tail

    return [row["id"] for row in tail(conn, filters, limit)]


def load_many(conn: psycopg.Connection, ids: Iterable[str]) -> list[dict[str, Any]]:
    """The stored calls with these ids (or unique prefixes), in order."""
    from llmlog.replay.request import load

    return [load(conn, str(call_id)) for call_id in ids]


def estimate(
    calls: Sequence[dict[str, Any]], overrides: Overrides, repeat: int = 1
) -> tuple[int, Decimal, int]:
    """How many requests the batch sends (``repeat`` each, twice that when the original is
    sent again for the noise floor), their estimated cost (the originals' tokens at the
    target prices), and how many calls have no estimate (no price, or not replayable)."""
    baseline = repeat > 1 and overrides.model is None and overrides.provider is None
    sends = repeat * (2 if baseline else 1)
    total, unknown = Decimal(0), 0
    for call in calls:
        try:
            cost = plan(call, overrides).estimated_cost_usd
        except LlmlogError:
            cost = None
        if cost is None:
            unknown += 1
        else:
            total += cost
    return len(calls) * sends, total * sends, unknown


def run(
    calls: Sequence[dict[str, Any]],
    overrides: Overrides,
    options: Options,
    *,
    concurrency: int = 4,
    done: Callable[[Item], None] = lambda item: None,
) -> Summary:
    """Replay every call, ``concurrency`` at a time; ``done`` is told of each as it ends."""
    summary = Summary(planned=len(calls))
    providers = {overrides.provider or call["provider"] for call in calls}
    clients = {
        provider: client_for(provider, base_url=options.base_url, save=options.save)
        for provider in sorted(providers)
    }  # (a missing key fails here, once, before anything is sent)
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="llmlog-replay")
    pending: set[Future[Item]] = {
        pool.submit(_one, call, overrides, options, clients) for call in calls
    }
    try:
        while pending:
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                item = future.result()
                summary.items.append(item)
                done(item)
    except KeyboardInterrupt:
        summary.interrupted = True
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True)
        summary.items.extend(f.result() for f in pending if f.done() and not f.cancelled())
    finally:
        pool.shutdown(wait=True)
        summary.stored = llmlog.flush(30) if options.save else False
    return summary


def _one(
    call: dict[str, Any], overrides: Overrides, options: Options, clients: dict[str, Any]
) -> Item:
    client = clients[overrides.provider or call["provider"]]
    try:
        report = replay_with(client, call, overrides, options)
    except LlmlogError as exc:
        return Item(call["id"], "failed", error=exc.message)
    except Exception as exc:  # one odd answer must not stop a thousand replays
        return Item(call["id"], "failed", error=f"{type(exc).__name__}: {exc}")
    first = report.replays[0]
    rows = {m["metric"]: m["delta"] for m in report.diff.metrics}
    return Item(
        call["id"],
        "changed" if report.verdict.changed else "identical",
        replay_id=first.call_id,
        text_changed=report.verdict.text_changed,
        cost_delta=rows["cost_usd"],
        latency_delta_ms=None if rows["latency_ms"] is None else float(rows["latency_ms"]),
        output_tokens_delta=None if rows["output_tokens"] is None else int(rows["output_tokens"]),
    )
