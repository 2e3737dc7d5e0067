"""Who calls and when: Zipf-skewed tenants and users, and a daily and weekly rhythm."""

from __future__ import annotations

import bisect
import itertools
import math
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from llmlog.demo import words

T = TypeVar("T")

REGIONS = ("eu-west-1", "us-east-1", "us-west-2", "ap-southeast-2")
# Share of traffic by UTC hour (Europe and the Americas overlap in the afternoon) and weekday.
HOURLY = (
    0.25, 0.2, 0.18, 0.18, 0.2, 0.3, 0.5, 0.75, 0.95, 1.0, 1.0, 0.95,
    0.9, 0.95, 1.0, 1.0, 0.95, 0.85, 0.7, 0.6, 0.5, 0.42, 0.35, 0.3,
)  # fmt: skip
WEEKDAY = (1.0, 1.05, 1.05, 1.0, 0.9, 0.45, 0.4)
GROWTH = 0.3  # traffic grows by this share over the period


class Weighted(Generic[T]):
    """A weighted choice, cheaper per draw than ``random.choices``."""

    def __init__(self, items: Sequence[T], weights: Iterable[float]) -> None:
        self.items = items
        self.cumulative = list(itertools.accumulate(weights))

    @classmethod
    def of(cls, pairs: Iterable[tuple[T, float]]) -> Weighted[T]:
        items, weights = zip(*pairs, strict=True)
        return cls(items, weights)

    @classmethod
    def zipf(cls, items: Sequence[T], s: float) -> Weighted[T]:
        """Rank k (from 1) gets weight 1/k^s: a few items get most of the draws."""
        return cls(items, (1 / (rank + 1) ** s for rank in range(len(items))))

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


@dataclass(frozen=True)
class Tenant:
    id: str
    region: str
    users: Weighted[str]


class Population:
    """Tenants with a Zipf share of traffic, each with Zipf-skewed users."""

    def __init__(self, rng: random.Random) -> None:
        tenants = []
        for rank, name in enumerate(words.TENANTS):
            size = max(3, int(300 / (rank + 1) ** 0.9))
            users = Weighted.zipf([f"usr_{rank:02d}{k:04d}" for k in range(size)], 1.05)
            tenants.append(Tenant(name, rng.choice(REGIONS), users))
        self.tenants = Weighted.zipf(tenants, 1.1)
        self.by_id = {tenant.id: tenant for tenant in tenants}

    def pick(self, rng: random.Random) -> tuple[Tenant, str]:
        """A tenant and one of its users, skewed towards the big ones."""
        tenant = self.tenants.pick(rng)
        return tenant, tenant.users.pick(rng)


def timeline(rng: random.Random, n: int, start: float, end: float) -> list[float]:
    """``n`` sorted epoch seconds in [start, end), following the daily and weekly rhythm."""
    hours = max(1, math.ceil((end - start) / 3600))
    width = (end - start) / hours
    weights = []
    for h in range(hours):
        at = time.gmtime(start + h * width)
        weights.append(HOURLY[at.tm_hour] * WEEKDAY[at.tm_wday] * (1 + GROWTH * h / hours))
    cumulative = list(itertools.accumulate(weights))
    picks = rng.choices(range(hours), cum_weights=cumulative, k=n)
    return sorted(start + (h + rng.random()) * width for h in picks)
