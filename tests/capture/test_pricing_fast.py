"""The per-(model, day) flat-price shortcut gives genai-prices' own numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import genai_prices
import pytest

from llmlog import pricing

AT = datetime(2026, 11, 2, 12, tzinfo=UTC)


def openai_body(model: str, prompt: int, cached: int, out: int) -> dict[str, Any]:
    return {"model": model, "usage": {"prompt_tokens": prompt, "completion_tokens": out,
            "prompt_tokens_details": {"cached_tokens": cached}}}  # fmt: skip


def anthropic_body(model: str, fresh: int, read: int, write: int, out: int) -> dict[str, Any]:
    return {"model": model, "usage": {"input_tokens": fresh, "cache_read_input_tokens": read,
            "cache_creation_input_tokens": write, "output_tokens": out}}  # fmt: skip


def truth(body: dict[str, Any], provider: str, flavor: str) -> Decimal:
    usage = genai_prices.extract_usage(body, provider_id=provider, api_flavor=flavor)
    return Decimal(usage.calc_price(genai_request_timestamp=AT).total_price)


@pytest.mark.parametrize("model", ["gpt-4o-mini", "gpt-4.1", "o3-mini"])
def test_openai_shortcut_matches(model: str) -> None:
    for prompt, cached, out in [(1000, 0, 10), (5000, 4096, 700), (17, 0, 3), (90000, 1024, 1)]:
        body = openai_body(model, prompt, cached, out)
        got = pricing.cost_usd(
            provider="openai", endpoint="chat.completions", model=model, response=body,
            tokens=pricing.Tokens(prompt, out, cached, 0), at=AT,
        )  # fmt: skip
        assert got == truth(body, "openai", "chat")


@pytest.mark.parametrize("model", ["claude-haiku-4-5", "claude-opus-4-1"])
def test_anthropic_shortcut_matches(model: str) -> None:
    for fresh, read, write, out in [(100, 0, 0, 5), (10, 5000, 300, 80), (7, 0, 2000, 1)]:
        body = anthropic_body(model, fresh, read, write, out)
        got = pricing.cost_usd(
            provider="anthropic", endpoint="messages", model=model, response=body,
            tokens=pricing.Tokens(fresh + read + write, out, read, write), at=AT,
        )  # fmt: skip
        assert got == truth(body, "anthropic", "default")


def test_tiered_model_always_takes_the_full_calculation() -> None:
    model = "claude-sonnet-4-5"  # long-context tier above 200k input tokens
    for fresh in (1000, 250_000, 1000):
        body = anthropic_body(model, fresh, 0, 0, 10)
        got = pricing.cost_usd(
            provider="anthropic", endpoint="messages", model=model, response=body,
            tokens=pricing.Tokens(fresh, 10, 0, 0), at=AT,
        )  # fmt: skip
        assert got == truth(body, "anthropic", "default")
