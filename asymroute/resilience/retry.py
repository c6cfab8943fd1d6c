"""Retry schedule: exponential backoff with full jitter, honouring `Retry-After`, in a deadline."""

from __future__ import annotations

import random
from dataclasses import dataclass

from asymroute.resilience.failures import Failure


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    """Attempts per tier call, the first included (1 = no retry)."""
    base_delay_s: float
    max_delay_s: float
    retry_after_max_s: float
    """A longer `Retry-After` is not waited for: the call fails and routing moves on."""
    deadline_s: float
    """Wall time one tier call may take, attempts and waits together."""

    def worst_case_s(self, attempt_s: float) -> float:
        """Upper bound of one tier call's wall time when each attempt takes `attempt_s`."""
        waits = (self.max_attempts - 1) * max(self.max_delay_s, self.retry_after_max_s)
        return min(self.deadline_s, self.max_attempts * attempt_s + waits)


def next_delay(
    policy: RetryPolicy,
    attempt: int,
    failure: Failure,
    elapsed_s: float,
    rng: random.Random,
) -> float | None:
    """Seconds to wait before attempt `attempt + 1`, or None to stop retrying.

    `attempt` counts from 1. Stops on a non-transient failure, when attempts are used up, when
    the endpoint asks for a wait longer than `retry_after_max_s`, or when waiting would leave no
    time before the deadline.
    """
    if not failure.transient or attempt >= policy.max_attempts:
        return None
    if failure.retry_after_s is not None:
        if failure.retry_after_s > policy.retry_after_max_s:
            return None
        delay = failure.retry_after_s
    else:
        ceiling = min(policy.max_delay_s, policy.base_delay_s * 2 ** (attempt - 1))
        delay = rng.uniform(0.0, ceiling)
    if elapsed_s + delay >= policy.deadline_s:
        return None
    return delay
