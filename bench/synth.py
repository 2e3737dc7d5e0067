"""A compact generator of realistic call records (~4.4 KB each) for the query benchmarks.

Deterministic for a seed: features with their own system prompts and prompt versions,
tenants and users with skewed traffic, traces of 1-4 calls, errors, refusals, tool calls.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

from llmlog.ids import new_id, ts_of
from llmlog.store.records import Record

MODELS = (
    ("openai", "chat.completions", "gpt-4o-mini", 0.15, 0.6, 450),
    ("openai", "chat.completions", "gpt-4o", 2.5, 10.0, 900),
    ("openai", "responses", "o3-mini", 1.1, 4.4, 2500),
    ("anthropic", "messages", "claude-3-5-haiku-latest", 0.8, 4.0, 700),
    ("anthropic", "messages", "claude-sonnet-4-5", 3.0, 15.0, 1400),
)
FEATURES = (
    "support-chat", "summarize", "classify", "extract", "search-answer", "code-review",
    "translate", "agent-step",
)  # fmt: skip
ERRORS = (("rate_limit", 429), ("timeout", None), ("server_error", 500), ("bad_request", 400))


class Synth:
    def __init__(self, seed: int = 42) -> None:
        self.rng = random.Random(seed)
        rng = self.rng
        syllables = [a + b for a in "bcdfghklmnprstvz" for b in "aeiou"]
        self.vocab = ["".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(6000)]
        self.prompts = {
            (feature, version): f"You are the {feature} assistant ({version}). " + self.words(130)
            for feature in FEATURES
            for version in ("v1", "v2", "v3")
        }
        self.tenants = [f"tenant-{n:03d}" for n in range(200)]
        self.tenant_weights = [1 / (n + 1) for n in range(200)]

    def words(self, n: int) -> str:
        return " ".join(self.rng.choices(self.vocab, k=n))

    def records(self, count: int, *, start: datetime, end: datetime) -> Iterator[Record]:
        """``count`` records with times spread evenly between ``start`` and ``end``."""
        step = (end - start) / count
        made = 0
        while made < count:
            at = start + step * made
            size = min(self.rng.choice((1, 1, 1, 2, 3, 4)), count - made)
            yield from self.trace(at, size, step)
            made += size

    def trace(self, at: datetime, size: int, step: timedelta) -> Iterator[Record]:
        rng = self.rng
        feature = rng.choice(FEATURES)
        version = rng.choices(("v1", "v2", "v3"), weights=(2, 5, 3))[0]
        tenant = rng.choices(self.tenants, weights=self.tenant_weights)[0]
        user = f"user-{rng.randrange(5000):04d}"
        session = f"sess-{rng.randrange(10**9):09d}"
        root: str | None = None
        parent = None
        for n in range(size):
            record = self.call(at + step * n, feature, version)
            record.update(tenant_id=tenant, user_id=user, session_id=session)
            root = root or str(record["id"])
            record.update(trace_id=root, parent_id=parent)
            parent = parent or record["id"]
            yield record

    def call(self, at: datetime, feature: str, version: str) -> Record:
        rng = self.rng
        provider, endpoint, model, price_in, price_out, base_ms = rng.choice(MODELS)
        call_id = new_id(at)
        system = self.prompts[(feature, version)]
        question = self.words(rng.randint(120, 260))
        output = self.words(rng.randint(40, 160) * (2 if version == "v3" else 1))
        input_tokens = (len(system) + len(question)) // 4
        output_tokens = len(output) // 4
        latency = rng.lognormvariate(0, 0.5) * base_ms + output_tokens * 2
        failed = rng.random() < 0.02
        refusal = not failed and rng.random() < 0.01
        tools = rng.random() < 0.17
        error_type, http_status = rng.choice(ERRORS) if failed else (None, 200)
        cost = Decimal(input_tokens * price_in + output_tokens * price_out) / 1_000_000
        messages = [{"role": "user", "content": question}]
        request = {"model": model, "max_tokens": 1024, "temperature": 0.3, "messages": messages}
        if provider == "anthropic":
            request["system"] = system
        else:
            messages.insert(0, {"role": "system", "content": system})
        return {
            "id": call_id,
            "ts": ts_of(call_id),
            "feature": feature,
            "prompt_version": version,
            "provider": provider,
            "endpoint": endpoint,
            "model": model,
            "response_model": None if failed else model,
            "request": request,
            "response": None if failed else {"id": f"resp_{call_id.hex[:16]}", "output": output},
            "system_prompt": system,
            "output_text": None if failed else output,
            "tool_calls": [{"id": "t1", "name": "lookup", "arguments": self.words(30)}]
            if tools
            else None,
            "finish_reason": "error"
            if failed
            else ("refusal" if refusal else ("tool_calls" if tools else "stop")),
            "input_tokens": input_tokens,
            "output_tokens": 0 if failed else output_tokens,
            "cache_read_tokens": input_tokens // 2 if rng.random() < 0.3 else 0,
            "cache_write_tokens": 0,
            "reasoning_tokens": 0,
            "cost_usd": None if failed else round(cost, 10),
            "ttft_ms": None if failed else latency * rng.uniform(0.1, 0.4),
            "latency_ms": latency,
            "status": "error" if failed else "ok",
            "http_status": http_status,
            "error_type": error_type,
            "error_message": f"{error_type}: {self.words(8)}" if failed else None,
            "feedback": rng.choice((-1, 1)) if rng.random() < 0.03 else None,
            "metadata": {
                "app": "bench",
                "region": rng.choice(("eu", "us")),
                "note": self.words(20),
            },
            "streamed": rng.random() < 0.5,
        }
