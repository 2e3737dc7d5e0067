"""One replay from start to end: rebuild the request, send it (``repeat`` times, and the
original request as often when the model is unchanged, for the noise floor), compare."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import llmlog
from llmlog.replay.diff import Diff, Noise, Side, Verdict, compare, judge, noise
from llmlog.replay.request import Overrides, Request, original, rebuild

if TYPE_CHECKING:
    from llmlog.replay.send import Outcome


@dataclass(frozen=True)
class Options:
    repeat: int = 1
    save: bool = True
    base_url: str | None = None


@dataclass(frozen=True)
class Plan:
    """What a dry run shows: the request, and its cost estimated from the original's tokens
    at the target model's prices."""

    request: Request
    estimated_cost_usd: Decimal | None


@dataclass(frozen=True)
class Report:
    original: dict[str, Any]
    request: Request
    replays: list[Outcome]
    baseline: list[Outcome]  # the original request sent again (``repeat`` > 1, same model)
    diff: Diff  # the first replay against the original
    noise: Noise | None
    verdict: Verdict
    stored: bool  # every replay reached the store (or its spool) before returning


def plan(call: dict[str, Any], overrides: Overrides) -> Plan:
    request = rebuild(call, overrides)
    same = request.provider == call["provider"]
    tokens = {
        "input_tokens": call.get("input_tokens") or 0,
        "output_tokens": call.get("output_tokens") or 0,
        "cache_read_tokens": (call.get("cache_read_tokens") or 0) if same else 0,
        "cache_write_tokens": (call.get("cache_write_tokens") or 0) if same else 0,
    }
    return Plan(request, estimate_cost(request, tokens))


# Each endpoint's usage shape: a model's tokens are priced the way ``show`` prices a call
# (``reports.costs.breakdown``: the overrides file, else genai-prices' per-token rates,
# kept in the cache ``show`` keeps, so a dry run seldom imports genai-prices).
_USAGE = {
    "chat.completions": {"prompt_tokens": 0, "completion_tokens": 0},
    "responses": {"input_tokens": 0, "output_tokens": 0},
    "messages": {"input_tokens": 0, "output_tokens": 0},
}


def estimate_cost(request: Request, tokens: dict[str, int]) -> Decimal | None:
    """What ``request`` would cost with these token counts, at its model's prices (None: no
    price, or no tokens)."""
    from llmlog.reports.costs import PARTS, breakdown

    model = request.body.get("model")
    if not isinstance(model, str) or not (tokens["input_tokens"] or tokens["output_tokens"]):
        return None
    hypothetical = {
        "provider": request.provider,
        "endpoint": request.endpoint,
        "model": model,
        "ts": datetime.now(UTC),
        **tokens,
        "response": {"model": model, "usage": _USAGE[request.endpoint]},
        "cost_usd": Decimal(0),  # (breakdown prices only calls capture could price)
    }
    parts = breakdown(hypothetical)
    return None if parts is None else sum((parts[p]["cost_usd"] for p in PARTS), Decimal(0))


def replay(call: dict[str, Any], overrides: Overrides, options: Options = Options()) -> Report:
    """Send the replay of ``call`` and compare it with the stored answer."""
    from llmlog.replay.send import client_for

    request = rebuild(call, overrides)
    client = client_for(request.provider, base_url=options.base_url, save=options.save)
    report = replay_with(client, call, overrides, options)
    return replace(report, stored=llmlog.flush(10) if options.save else False)


def replay_with(
    client: Any, call: dict[str, Any], overrides: Overrides, options: Options
) -> Report:
    """``replay`` with a client of the target provider made once for many calls; the
    replays are queued for the store, not waited for (``stored`` is False)."""
    from llmlog.replay.send import send

    request = rebuild(call, overrides)
    given = overrides.given()
    replays = [
        send(request, client, origin=call, save=options.save,
             metadata={"replay": {"overrides": given, "run": n}})
        for n in range(1, options.repeat + 1)
    ]  # fmt: skip
    baseline: list[Outcome] = []
    if options.repeat > 1 and _same_model(call, request):
        again = original(call)
        baseline = [
            send(again, client, origin=call, save=options.save,
                 metadata={"replay": {"overrides": {}, "run": n, "baseline": True}})
            for n in range(1, options.repeat + 1)
        ]  # fmt: skip
    first = Side.of(call)
    floor = noise(first, [Side.of(b) for b in baseline]) if baseline else None
    verdict = judge(first, [Side.of(r) for r in replays], floor)
    diff = compare(first, Side.of(replays[0]))
    return Report(call, request, replays, baseline, diff, floor, verdict, stored=False)


def _same_model(call: dict[str, Any], request: Request) -> bool:
    stored = call.get("request") or {}
    return request.provider == call["provider"] and request.body.get("model") == stored.get("model")
