"""Cost of a call in USD, from the provider's raw usage, at the call's own time.

Prices come from ``genai-prices``' bundled data (never fetched at run time), or from the
local overrides file ``$LLMLOG_HOME/prices.toml`` for fine-tuned, self-hosted or negotiated
models, which wins when it names the model::

    [models."ft:gpt-4o-mini:acme::abc123"]
    input_mtok = 0.30        # USD per million uncached input tokens
    cache_read_mtok = 0.15   # optional, defaults to input_mtok
    cache_write_mtok = 0.375 # optional, defaults to input_mtok
    output_mtok = 1.20

An unknown model costs None and logs one warning per model per process, never raises.

Speed: the writer prices every call, and a full genai-prices calculation takes ~0.2 ms.
The first call of a (provider, endpoint, model, UTC day) runs it and keeps the model's
resolved per-token prices; later calls with plain text usage (no audio, no server tools,
no 1-hour cache writes, default service tier) and flat prices (no tiers) are priced by the
same arithmetic directly. Anything else takes the full calculation every time.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import tomllib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from llmlog import config
from llmlog.errors import ConfigError

log = logging.getLogger("llmlog")

# genai-prices' name for each endpoint's usage shape.
API_FLAVOR = {"chat.completions": "chat", "responses": "responses", "messages": "default"}
_MILLION = Decimal(1_000_000)


class Tokens(NamedTuple):
    """Normalised usage: ``input`` includes cache reads and writes (as in ``llm_calls``).
    (A NamedTuple: the writer makes one per call, at a fifth of a frozen dataclass's cost.)"""

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0


@dataclass(frozen=True)
class OverridePrice:
    input_mtok: Decimal
    output_mtok: Decimal
    cache_read_mtok: Decimal
    cache_write_mtok: Decimal

    def cost(self, tokens: Tokens) -> Decimal:
        uncached = max(tokens.input - tokens.cache_read - tokens.cache_write, 0)
        total = (
            uncached * self.input_mtok
            + tokens.cache_read * self.cache_read_mtok
            + tokens.cache_write * self.cache_write_mtok
            + tokens.output * self.output_mtok
        )
        return total / _MILLION


_warned: set[str] = set()
_lock = threading.Lock()
_overrides_cache: tuple[Path, float, dict[str, OverridePrice]] | None = None


def overrides_file() -> Path:
    return config.home() / "prices.toml"


_RECHECK_SECONDS = 1.0
_checked: tuple[str, float, dict[str, OverridePrice]] | None = None


def load_overrides(path: Path | None = None) -> dict[str, OverridePrice]:
    """The overrides file's prices by model name; ConfigError when it is malformed.

    The default file is looked at again at most once a second (the writer asks per call).
    """
    global _checked
    if path is None:
        home = os.environ.get("LLMLOG_HOME", "")
        now = time.monotonic()
        seen = _checked
        if seen is not None and seen[0] == home and now - seen[1] < _RECHECK_SECONDS:
            return seen[2]
        prices = _load_overrides(overrides_file())
        _checked = (home, now, prices)
        return prices
    return _load_overrides(path)


def _load_overrides(path: Path) -> dict[str, OverridePrice]:
    global _overrides_cache
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return {}
    cached = _overrides_cache
    if cached and cached[0] == path and cached[1] == mtime:
        return cached[2]
    try:
        data = tomllib.loads(path.read_text())
        prices = {name: _override(spec) for name, spec in data.get("models", {}).items()}
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ArithmeticError, OSError) as exc:
        raise ConfigError(
            f"cannot read prices from {path}: {exc}",
            hint='each [models."NAME"] needs input_mtok and output_mtok numbers',
        ) from exc
    _overrides_cache = (path, mtime, prices)
    return prices


def _override(spec: dict[str, Any]) -> OverridePrice:
    def price(key: str, default: Decimal | None = None) -> Decimal:
        value = spec.get(key)
        if value is None:
            if default is None:
                raise KeyError(key)
            return default
        return Decimal(str(value))

    unit = price("input_mtok")
    return OverridePrice(
        input_mtok=unit,
        output_mtok=price("output_mtok"),
        cache_read_mtok=price("cache_read_mtok", unit),
        cache_write_mtok=price("cache_write_mtok", unit),
    )


def cost_usd(
    *,
    provider: str,
    endpoint: str,
    model: str | None,
    response: dict[str, Any] | None,
    tokens: Tokens,
    at: datetime,
) -> Decimal | None:
    """The call's cost, or None when no price is known (one warning per model)."""
    name = (response or {}).get("model") or model
    if not name:
        return None
    try:
        overrides = load_overrides()
        override = overrides.get(name) or (overrides.get(model) if model else None)
    except ConfigError as exc:
        _warn_once(f"overrides:{exc}", "%s", exc.message)
        override = None
    if override is not None:
        return override.cost(tokens)
    if not response or "usage" not in response:
        return None
    return _catalogue_cost(provider, endpoint, name, response, at, tokens)


_FLAT_KEYS = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok")
_flat_prices: dict[tuple[str, str, str, object], OverridePrice | None] = {}


def _plain_usage(response: dict[str, Any]) -> bool:
    """Usage that flat per-token prices cover exactly (text tokens, default tier)."""
    if response.get("service_tier") not in (None, "default", "auto", "standard"):
        return False
    usage = response.get("usage") or {}
    if usage.get("server_tool_use") or (usage.get("cache_creation") or {}).get(
        "ephemeral_1h_input_tokens"
    ):
        return False
    for section in ("prompt_tokens_details", "completion_tokens_details", "input_tokens_details",
                    "output_tokens_details"):  # fmt: skip
        details = usage.get(section)
        if details and (details.get("audio_tokens") or details.get("input_audio_tokens")):
            return False
    return True


def _flat(model_price: Any) -> OverridePrice | None:
    values = {k: getattr(model_price, k, None) for k in _FLAT_KEYS}
    if not all(v is None or isinstance(v, Decimal) for v in values.values()):
        return None  # tiered prices: no shortcut
    if values["input_mtok"] is None or values["output_mtok"] is None:
        return None
    return OverridePrice(
        input_mtok=values["input_mtok"],
        output_mtok=values["output_mtok"],
        cache_read_mtok=values["cache_read_mtok"] or values["input_mtok"],
        cache_write_mtok=values["cache_write_mtok"] or values["input_mtok"],
    )


def _catalogue_cost(
    provider: str,
    endpoint: str,
    name: str,
    response: dict[str, Any],
    at: datetime,
    tokens: Tokens | None = None,
) -> Decimal | None:
    key = (provider, endpoint, name, at.date())
    plain = tokens is not None and _plain_usage(response)
    flat = _flat_prices.get(key) if plain else None
    if flat is not None:
        return flat.cost(tokens)  # type: ignore[arg-type]
    import genai_prices

    body = response if response.get("model") else {**response, "model": name}
    try:
        extracted = genai_prices.extract_usage(
            body, provider_id=provider, api_flavor=API_FLAVOR.get(endpoint, "default")
        )
        calculation = extracted.calc_price(genai_request_timestamp=at)
        if plain:
            _flat_prices[key] = _flat(calculation.model_price)
        return Decimal(calculation.total_price)
    except (LookupError, ValueError, TypeError, KeyError) as exc:
        _warn_once(
            name,
            "no price for model %r (%s): cost_usd left empty; add it to %s",
            name,
            type(exc).__name__,
            overrides_file(),
        )
        return None


def _warn_once(key: str, message: str, *args: object) -> None:
    with _lock:
        if key in _warned:
            return
        _warned.add(key)
    log.warning(message, *args)
