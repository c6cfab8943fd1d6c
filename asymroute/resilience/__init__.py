"""Fault handling around model calls: retries with backoff, per-endpoint cooldowns, bounds.

Layer: the floor's extension points; imports `records` and `settings` only.
"""

from asymroute.resilience.breaker import Admission, BreakerRegistry, BreakerStatus
from asymroute.resilience.failures import Failure, classify_failure, parse_retry_after
from asymroute.resilience.retry import RetryPolicy, next_delay
from asymroute.resilience.runtime import (
    MAX_TIER_CALLS_PER_REQUEST,
    Resilience,
    request_attempt_bound,
    retry_policy,
)

__all__ = [
    "MAX_TIER_CALLS_PER_REQUEST",
    "Admission",
    "BreakerRegistry",
    "BreakerStatus",
    "Failure",
    "Resilience",
    "RetryPolicy",
    "classify_failure",
    "next_delay",
    "parse_retry_after",
    "request_attempt_bound",
    "retry_policy",
]
