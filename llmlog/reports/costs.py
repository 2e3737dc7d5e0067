"""A call's cost split into uncached input, cached input, cache writes and output."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from llmlog import pricing
from llmlog.private import private_dir, private_write

PARTS = ("input", "cache_read", "cache_write", "output")


def breakdown(call: dict[str, Any]) -> dict[str, Any] | None:
    """Tokens and USD per part, priced like capture prices them; None when unpriceable."""
    tokens = pricing.Tokens(
        input=call.get("input_tokens") or 0,
        output=call.get("output_tokens") or 0,
        cache_read=call.get("cache_read_tokens") or 0,
        cache_write=call.get("cache_write_tokens") or 0,
    )
    counts = {
        "input": max(tokens.input - tokens.cache_read - tokens.cache_write, 0),
        "cache_read": tokens.cache_read,
        "cache_write": tokens.cache_write,
        "output": tokens.output,
    }
    prices = _part_prices(call, counts)
    if prices is None:
        return None
    parts = {part: {"tokens": counts[part], "cost_usd": prices[part]} for part in PARTS}
    return {**parts, "total_usd": call.get("cost_usd")}


def _part_prices(call: dict[str, Any], counts: dict[str, int]) -> dict[str, Decimal] | None:
    name = (call.get("response") or {}).get("model") or call.get("model")
    overrides = pricing.load_overrides()
    override = overrides.get(name or "") or overrides.get(call.get("model") or "")
    if override is not None:
        rates = {
            "input": override.input_mtok,
            "cache_read": override.cache_read_mtok,
            "cache_write": override.cache_write_mtok,
            "output": override.output_mtok,
        }
        return {part: counts[part] * rates[part] / 1_000_000 for part in PARTS}
    return _catalogue_prices(call, counts)


def _catalogue_prices(call: dict[str, Any], counts: dict[str, int]) -> dict[str, Decimal] | None:
    response = call.get("response")
    if not response or "usage" not in response or call.get("cost_usd") is None:
        return None
    name = response.get("model") or call.get("model")
    key = f"{call['provider']}|{call['endpoint']}|{name}|{call['ts']:%Y-%m-%d}"
    cache = _RateCache()
    rates = cache.get(key)
    if rates is None:
        found = _catalogue_rates(call, response, counts)
        if found is None:
            return None
        rates, linear = found
        if linear:
            cache.put(key, rates)
        else:  # tiered prices: these rates hold for this call's token counts only
            return {part: rates[part] * counts[part] for part in PARTS}
    return {part: rates[part] * counts[part] for part in PARTS}


def _catalogue_rates(
    call: dict[str, Any], response: dict[str, Any], counts: dict[str, int]
) -> tuple[dict[str, Decimal], bool] | None:
    """USD per token of each part from genai-prices, and whether they are flat (no tiers)."""
    import genai_prices
    from genai_prices.types import Usage

    body = response if response.get("model") else {**response, "model": call.get("model")}
    try:
        flavor = pricing.API_FLAVOR.get(call["endpoint"], "default")
        extracted = genai_prices.extract_usage(
            body, provider_id=call["provider"], api_flavor=flavor
        )
        model_price = extracted.calc_price(genai_request_timestamp=call["ts"]).model_price
    except (LookupError, ValueError, TypeError, KeyError):
        return None

    def price(part: str, n: int) -> Decimal:
        usage = {
            "input": Usage(input_tokens=n),
            "cache_read": Usage(input_tokens=n, cache_read_tokens=n),
            "cache_write": Usage(input_tokens=n, cache_write_tokens=n),
            "output": Usage(output_tokens=n),
        }[part]
        return Decimal(model_price.calc_price(usage)["total_price"])

    rates, linear = {}, True
    for part in PARTS:
        n = max(counts[part], 1)
        rates[part] = price(part, n) / n
        linear = linear and price(part, 1_000_000) == price(part, 2_000_000) / 2
    return rates, linear


class _RateCache:
    """Flat per-token rates by provider, endpoint, model and day, in $LLMLOG_HOME/cache:
    ``show`` then skips importing genai-prices (~200 ms) for a model it has priced before."""

    def __init__(self) -> None:
        from importlib.metadata import version

        from llmlog import config

        self.path = config.home() / "cache" / f"price-rates-{version('genai-prices')}.json"

    def _load(self) -> dict[str, dict[str, str]]:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}

    def get(self, key: str) -> dict[str, Decimal] | None:
        found = self._load().get(key)
        return {part: Decimal(found[part]) for part in PARTS} if found else None

    def put(self, key: str, rates: dict[str, Decimal]) -> None:
        data = self._load()
        data[key] = {part: str(rates[part]) for part in PARTS}
        try:
            private_dir(self.path.parent)
            private_write(self.path, json.dumps(data).encode())
        except OSError:
            pass  # a cache that cannot be written only costs time
