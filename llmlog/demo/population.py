"""Who calls and when: Zipf-skewed tenants and users, and a daily and weekly rhythm."""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass

from llmlog.demo import words

REGIONS = ("eu-west-1", "us-east-1", "us-west-2", "ap-southeast-2")
# Share of traffic by UTC hour (Europe and the Americas overlap in the afternoon) and weekday.
HOURLY = (
    0.25, 0.2, 0.18, 0.18, 0.2, 0.3, 0.5, 0.75, 0.95, 1.0, 1.0, 0.95,
    0.9, 0.95, 1.0, 1.0, 0.95, 0.85, 0.7, 0.6, 0.5, 0.42, 0.35, 0.3,
)  # fmt: skip
WEEKDAY = (1.0, 1.05, 1.05, 1.0, 0.9, 0.45, 0.4)
GROWTH = 0.3  # traffic grows by this share over the period


def zipf_cumulative(n: int, s: float) -> list[float]:
    return list(itertools.accumulate(1 / (rank + 1) ** s for rank in range(n)))


@dataclass(frozen=True)
class Tenant:
    id: str
    region: str
    users: tuple[str, ...]
    user_cumulative: tuple[float, ...]


class Population:
    """Tenants with a Zipf share of traffic, each with Zipf-skewed users."""

    def __init__(self, rng: random.Random) -> None:
        self.tenants: list[Tenant] = []
        for rank, name in enumerate(words.TENANTS):
            size = max(3, int(300 / (rank + 1) ** 0.9))
            users = tuple(f"usr_{rank:02d}{k:04d}" for k in range(size))
            cumulative = tuple(zipf_cumulative(size, 1.05))
            self.tenants.append(Tenant(name, rng.choice(REGIONS), users, cumulative))
        self._cumulative = zipf_cumulative(len(self.tenants), 1.1)
        self.by_id = {tenant.id: tenant for tenant in self.tenants}

    def pick(self, rng: random.Random) -> tuple[Tenant, str]:
        """A tenant and one of its users, skewed towards the big ones."""
        tenant = self.tenants[bisect.bisect(self._cumulative, rng.random() * self._cumulative[-1])]
        cum = tenant.user_cumulative
        return tenant, tenant.users[bisect.bisect(cum, rng.random() * cum[-1])]


def timeline(rng: random.Random, n: int, start: float, end: float) -> list[float]:
    """``n`` sorted epoch seconds in [start, end), following the daily and weekly rhythm."""
    import math
    import time

    hours = max(1, math.ceil((end - start) / 3600))
    width = (end - start) / hours
    weights = []
    for h in range(hours):
        at = time.gmtime(start + h * width)
        weights.append(HOURLY[at.tm_hour] * WEEKDAY[at.tm_wday] * (1 + GROWTH * h / hours))
    cumulative = list(itertools.accumulate(weights))
    picks = rng.choices(range(hours), cum_weights=cumulative, k=n)
    return sorted(start + (h + rng.random()) * width for h in picks)
