"""Pools of prepared cases: the demo's texts, made once per load before any call.

Each feature and prompt version gets ``SIZE`` cases from its maker, with the token counts
of every step worked out from the text, so making a call only has to pick one.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from llmlog.demo import prompts, texts
from llmlog.demo.catalogue import FEATURES

SIZE = 256  # cases per feature and prompt version
# Features whose case i is about the same question (the help chat's rewrite and answer).
SHARED_SEEDS = {"query_rewrite": "help_chat", "rag_answer": "help_chat"}


@dataclass(frozen=True)
class Prepared:
    """A pool case with its token counts per step."""

    case: texts.Case
    input_tokens: tuple[int, ...]
    output_tokens: tuple[int, ...]
    prefix_tokens: int  # system prompt and tools: what prompt caching can reuse


def tokens(text: str | None) -> int:
    """Roughly how many tokens a text is (four characters each)."""
    return len(text) // 4 if text else 0


def prepare(case: texts.Case, tools: tuple[dict[str, Any], ...]) -> Prepared:
    tool_tokens = tokens(json.dumps(tools)) if tools else 0
    prefix = tokens(case.system) + tool_tokens
    inputs, outputs = [], []
    for step in case.steps:
        turn_tokens = sum(
            tokens(t.text) + sum(tokens(c.arguments) + 8 for c in t.tool_calls) + 4
            for t in step.turns
        )
        inputs.append(prefix + turn_tokens + 8)
        reply = step.reply
        outputs.append(
            tokens(reply.text) + sum(tokens(c.arguments) + 12 for c in reply.tool_calls) + 1
        )
    return Prepared(case, tuple(inputs), tuple(outputs), prefix)


def build(seed: int) -> dict[tuple[str, str], list[Prepared]]:
    """SIZE cases per (feature, prompt version); versions of a feature share their inputs."""
    pools: dict[tuple[str, str], list[Prepared]] = {}
    for name, feature in FEATURES.items():
        tools = prompts.TOOLS.get(name, ())
        for version in feature.versions:
            system = prompts.SYSTEM[name][version]
            make = texts.MAKERS[name]
            group = SHARED_SEEDS.get(name, name)
            pools[name, version] = [
                prepare(make(random.Random(f"{seed}:{group}:{i}"), system, version), tools)
                for i in range(SIZE)
            ]
    return pools
