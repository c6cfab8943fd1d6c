"""Retry schedule, failure classification, Retry-After parsing and the endpoint breaker."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace

import pytest

from asymroute.resilience import (
    BreakerRegistry,
    Failure,
    RetryPolicy,
    classify_failure,
    next_delay,
    parse_retry_after,
    request_attempt_bound,
)
from asymroute.settings import Settings

POLICY = RetryPolicy(
    max_attempts=4, base_delay_s=0.5, max_delay_s=2.0, retry_after_max_s=10.0, deadline_s=60.0
)


class StatusError(Exception):
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"status {status}")
        self.status_code = status
        self.response = SimpleNamespace(status_code=status, headers=headers or {})


class APIConnectionError(Exception):
    """Named like openai's: recognised by name, whichever HTTP library raised it."""


@pytest.mark.parametrize(
    ("exc", "transient", "status"),
    [
        (StatusError(429), True, 429),
        (StatusError(500), True, 500),
        (StatusError(503), True, 503),
        (StatusError(408), True, 408),
        (StatusError(400), False, 400),
        (StatusError(401), False, 401),
        (StatusError(404), False, 404),
        (ConnectionRefusedError("refused"), True, None),
        (ConnectionResetError("reset"), True, None),
        (TimeoutError("slow"), True, None),
        (APIConnectionError("Connection error."), True, None),
        (ValueError("malformed"), False, None),
    ],
)
def test_classify_failure(exc: Exception, transient: bool, status: int | None) -> None:
    failure = classify_failure(exc)
    assert (failure.transient, failure.status) == (transient, status)


def test_classify_failure_looks_through_wrapping_exceptions() -> None:
    try:
        try:
            raise StatusError(503)
        except StatusError as inner:
            raise RuntimeError("client gave up") from inner
    except RuntimeError as outer:
        failure = classify_failure(outer)
    assert failure == Failure(True, 503, None)


def test_retry_after_seconds_date_and_milliseconds() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    date = format_datetime(now + timedelta(seconds=7), usegmt=True)

    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after": "1.5"}) == 1.5
    assert parse_retry_after({"retry-after": date}, now=now) == 7.0
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({"retry-after": "-4"}) is None
    assert parse_retry_after({"retry-after": "nan"}) is None
    assert parse_retry_after({}) is None
    past = format_datetime(now - timedelta(seconds=30), usegmt=True)
    assert parse_retry_after({"retry-after": past}, now=now) == 0.0


def test_a_429_carries_its_retry_after() -> None:
    failure = classify_failure(StatusError(429, {"retry-after": "2"}))
    assert failure == Failure(True, 429, 2.0)


def test_backoff_grows_exponentially_with_full_jitter_and_a_ceiling() -> None:
    rng = random.Random(7)
    transient = Failure(True)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0)]:
        delays = [next_delay(POLICY, attempt, transient, 0.0, rng) for _ in range(200)]
        assert all(d is not None and 0.0 <= d <= ceiling for d in delays)
        assert max(d for d in delays if d is not None) > ceiling * 0.8  # jitter spans the range


def test_no_retry_after_the_last_attempt_or_on_a_permanent_failure() -> None:
    rng = random.Random(1)
    assert next_delay(POLICY, 4, Failure(True), 0.0, rng) is None
    assert next_delay(POLICY, 1, Failure(False, 400), 0.0, rng) is None


def test_retry_after_is_honoured_up_to_its_cap() -> None:
    rng = random.Random(1)
    assert next_delay(POLICY, 1, Failure(True, 429, 3.0), 0.0, rng) == 3.0
    assert next_delay(POLICY, 1, Failure(True, 429, 11.0), 0.0, rng) is None


def test_no_wait_runs_past_the_deadline() -> None:
    rng = random.Random(1)
    assert next_delay(POLICY, 1, Failure(True, 429, 3.0), 58.0, rng) is None


def test_request_attempt_bound_counts_every_attempt_on_both_tiers() -> None:
    settings = Settings(ASYMROUTE_LOCAL_MAX_RETRIES=1, ASYMROUTE_FRONTIER_MAX_RETRIES=2)
    assert request_attempt_bound(settings) == 2 + 3


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_n_consecutive_failures_and_probes_after_the_cooldown() -> None:
    clock = FakeClock()
    breakers = BreakerRegistry(failure_threshold=3, cooldown_s=30.0, clock=clock)
    endpoint = "openai http://x/v1 m"

    for _ in range(2):
        breakers.record_failure(endpoint)
    assert breakers.admit(endpoint) == "closed"
    breakers.record_failure(endpoint)
    assert breakers.admit(endpoint) == "open"
    assert breakers.is_cooling_down(endpoint)
    assert breakers.status(endpoint).retry_in_s == pytest.approx(30.0)

    clock.now += 30.0
    assert not breakers.is_cooling_down(endpoint)
    assert breakers.admit(endpoint) == "probe"
    assert breakers.admit(endpoint) == "open"  # one probe at a time
    breakers.record_failure(endpoint)  # the probe failed: a fresh cooldown
    assert breakers.admit(endpoint) == "open"

    clock.now += 30.0
    assert breakers.admit(endpoint) == "probe"
    breakers.record_success(endpoint)
    assert breakers.admit(endpoint) == "closed"
    assert breakers.status(endpoint).state == "closed"


def test_a_success_resets_the_count_and_endpoints_are_independent() -> None:
    breakers = BreakerRegistry(failure_threshold=2, cooldown_s=30.0, clock=FakeClock())
    breakers.record_failure("a")
    breakers.record_success("a")
    breakers.record_failure("a")
    breakers.record_failure("b")
    assert breakers.admit("a") == "closed" and breakers.admit("b") == "closed"
    breakers.record_failure("b")
    assert breakers.admit("b") == "open" and breakers.admit("a") == "closed"


def test_a_lost_probe_is_replaced_after_one_cooldown() -> None:
    clock = FakeClock()
    breakers = BreakerRegistry(failure_threshold=1, cooldown_s=10.0, clock=clock)
    breakers.record_failure("a")
    clock.now += 10.0
    assert breakers.admit("a") == "probe"  # its caller never reports back
    clock.now += 10.0
    assert breakers.admit("a") == "probe"


def test_threshold_zero_disables_the_breaker() -> None:
    breakers = BreakerRegistry(failure_threshold=0, cooldown_s=10.0)
    for _ in range(50):
        breakers.record_failure("a")
    assert breakers.admit("a") == "closed"
