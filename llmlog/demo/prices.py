"""Per-token prices from ``llmlog.pricing.cost_usd``, probed once per model and day.

Pricing one call through genai-prices takes ~150 µs, which would make pricing the
bottleneck of a million-call load. Cost is linear in each kind of token below the
long-context tiers (the demo's prompts stay far below them), so the rate card asks
``cost_usd`` for 1,000 tokens of each kind, in the provider's raw usage shape, and
multiplies. Decimal arithmetic keeps the result equal to genai-prices' own number.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from llmlog import pricing
from llmlog.demo.catalogue import Model
from llmlog.demo.shapes import Usage, usage

_PROBE = 1000
Rates = tuple[Decimal, Decimal, Decimal, Decimal]  # per token: input, output, read, write


class RateCard:
    def __init__(self) -> None:
        self._rates: dict[tuple[str, date], Rates | None] = {}

    def cost(self, model: Model, u: Usage, day: date) -> Decimal | None:
        """The call's cost in USD, or None when genai-prices has no price for the model."""
        key = (model.name, day)
        if key not in self._rates:
            self._rates[key] = _probe(model, day)
        rates = self._rates[key]
        if rates is None:
            return None
        uncached = u.input - u.cache_read - u.cache_write
        return (
            uncached * rates[0]
            + u.output * rates[1]
            + u.cache_read * rates[2]
            + u.cache_write * rates[3]
        )


def _probe(model: Model, day: date) -> Rates | None:
    at = datetime(day.year, day.month, day.day, tzinfo=UTC)
    anthropic = model.provider == "anthropic"
    probes = (
        Usage(_PROBE, 0),
        Usage(0, _PROBE),
        Usage(_PROBE, 0, cache_read=_PROBE),
        Usage(_PROBE, 0, cache_write=_PROBE) if anthropic else None,
    )
    rates: list[Decimal] = []
    for probe in probes:
        if probe is None:
            rates.append(Decimal(0))
            continue
        body = {"model": model.response_model, "usage": usage(model.endpoint, probe)}
        cost = pricing.cost_usd(
            provider=model.provider,
            endpoint=model.endpoint,
            model=model.name,
            response=body,
            tokens=pricing.Tokens(probe.input, probe.output, probe.cache_read, probe.cache_write),
            at=at,
        )
        if cost is None:
            return None
        rates.append(cost / _PROBE)
    return rates[0], rates[1], rates[2], rates[3]
