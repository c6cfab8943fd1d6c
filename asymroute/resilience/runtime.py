"""What one compiled router shares across its runs: the breakers, the clock, sleep and jitter."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from asymroute.resilience.breaker import BreakerRegistry
from asymroute.resilience.retry import RetryPolicy
from asymroute.resilience.shared_breaker import SharedBreakerRegistry

if TYPE_CHECKING:
    from asymroute.records import Tier
    from asymroute.settings import Settings

MAX_TIER_CALLS_PER_REQUEST = 2
"""One call per tier: local then frontier (escalation), or frontier then local (fallback)."""


@dataclass
class Resilience:
    breakers: BreakerRegistry
    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], None] = time.sleep
    asleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic

    @classmethod
    def from_settings(cls, settings: Settings) -> Resilience:
        threshold, cooldown = settings.breaker_failure_threshold, settings.breaker_cooldown_s
        if settings.redis_url and threshold > 0:
            shared = SharedBreakerRegistry(threshold, cooldown, settings.redis_url)
            return cls(breakers=shared)
        return cls(breakers=BreakerRegistry(threshold, cooldown))


def retry_policy(tier: Tier, settings: Settings) -> RetryPolicy:
    retries = settings.local_max_retries if tier == "local" else settings.frontier_max_retries
    return RetryPolicy(
        max_attempts=1 + retries,
        base_delay_s=settings.retry_base_delay_s,
        max_delay_s=settings.retry_max_delay_s,
        retry_after_max_s=settings.retry_after_max_s,
        deadline_s=settings.call_deadline_s,
    )


def request_attempt_bound(settings: Settings) -> int:
    """Most model requests one router run can send: every attempt on both tiers."""
    return (
        retry_policy("local", settings).max_attempts
        + retry_policy("frontier", settings).max_attempts
    )
