"""A call's cost split into uncached input, cached input, cache writes and output."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from llmlog import pricing

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
    usages = {
        "input": Usage(input_tokens=counts["input"]),
        "cache_read": Usage(
            input_tokens=counts["cache_read"], cache_read_tokens=counts["cache_read"]
        ),
        "cache_write": Usage(
            input_tokens=counts["cache_write"], cache_write_tokens=counts["cache_write"]
        ),
        "output": Usage(output_tokens=counts["output"]),
    }
    return {part: Decimal(model_price.calc_price(usages[part])["total_price"]) for part in PARTS}
