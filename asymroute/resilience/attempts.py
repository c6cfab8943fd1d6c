"""Bookkeeping of one tier call across its attempts, shared by the blocking and async drivers.

A driver asks `admit()` before each attempt, reports each outcome with `failed(exc)` or
`succeeded()`, and sleeps for the delay `failed` returns; `None` means stop. Everything that
decides (breaker, retry schedule, deadline) happens here, so both drivers behave the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from asymroute.resilience.failures import Failure, classify_failure
from asymroute.resilience.retry import RetryPolicy, next_delay
from asymroute.resilience.runtime import Resilience


class EndpointCoolingDown(Exception):
    """The endpoint's breaker is open: no request was sent."""


@dataclass
class AttemptLog:
    policy: RetryPolicy
    resilience: Resilience
    endpoint: str
    attempt_timeout_s: float
    """Longest one attempt may take (connect + read timeout): no attempt starts that would
    have to end after the deadline."""
    started: float = 0.0
    attempts: int = 0
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.started = self.resilience.clock()

    @property
    def elapsed_s(self) -> float:
        return self.resilience.clock() - self.started

    def admit(self) -> EndpointCoolingDown | None:
        """None when the next attempt may go; else why it may not (nothing is sent)."""
        breakers = self.resilience.breakers
        if breakers.admit(self.endpoint) == "open":
            status = breakers.status(self.endpoint)
            return EndpointCoolingDown(
                f"{self.endpoint} failed {status.consecutive_failures} times in a row; "
                f"skipped for another {status.retry_in_s:.1f}s"
            )
        self.attempts += 1
        return None

    def succeeded(self) -> None:
        self.resilience.breakers.record_success(self.endpoint)

    def failed(self, exc: BaseException, described: str) -> float | None:
        """Record a failed attempt; the seconds to wait before the next, or None to stop."""
        self.errors.append(described)
        failure = classify_failure(exc)
        if counts_against_endpoint(failure):
            self.resilience.breakers.record_failure(self.endpoint)
        delay = next_delay(self.policy, self.attempts, failure, self.elapsed_s, self.resilience.rng)
        if delay is None:
            return None
        if self.elapsed_s + delay + self.attempt_timeout_s > self.policy.deadline_s:
            return None  # the next attempt could not finish before the deadline
        return delay


def counts_against_endpoint(failure: Failure) -> bool:
    """Transport errors, timeouts, upstream 5xx/429 and garbled replies do. Anything else
    (a 4xx, text the client library cannot encode, a prompt over the context window) was
    caused by the request: counting it would let one client's input open the breaker for all."""
    return failure.transient or failure.garbled_reply
