"""Breakers shared through a real Redis (Debian's redis-server on a free loopback port): two
registries stand for two replicas. One opening an endpoint cools it down for the other, one
closing it closes it for both, a replica that starts during a cooldown honours what is left of
it, and a replica whose Redis stops goes on deciding alone."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from asymroute.resilience.shared_breaker import SharedBreakerRegistry, wait_until_shared
from bench.support.redis import redis_server_binary, running_redis

pytestmark = pytest.mark.skipif(
    redis_server_binary() is None, reason="redis-server is not installed (.ci/run installs it)"
)
ENDPOINT = "openai http://upstream/v1 gpt-4o-mini"


def eventually(condition: Callable[[], bool], within_s: float = 10.0) -> bool:
    """Waits for a change to travel through Redis (milliseconds; the bound is generous)."""
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with running_redis() as url:
        yield url


def replica(redis_url: str, cooldown_s: float = 30.0) -> SharedBreakerRegistry:
    registry = SharedBreakerRegistry(2, cooldown_s, redis_url)
    assert wait_until_shared(registry, 10.0)
    return registry


def test_an_endpoint_opened_by_one_replica_cools_down_for_the_other(redis_url: str) -> None:
    first, second = replica(redis_url), replica(redis_url)
    try:
        first.record_failure(ENDPOINT)
        assert not second.is_cooling_down(ENDPOINT)  # one failure: under the threshold
        first.record_failure(ENDPOINT)
        assert eventually(lambda: second.is_cooling_down(ENDPOINT))
        assert second.admit(ENDPOINT) == "open"
        assert 25 < second.status(ENDPOINT).retry_in_s <= 30

        first.record_success(ENDPOINT)  # e.g. its probe answered
        assert eventually(lambda: second.status(ENDPOINT).state == "closed")
        assert second.admit(ENDPOINT) == "closed"
    finally:
        first.close()
        second.close()


def test_a_replica_started_during_a_cooldown_honours_what_is_left(redis_url: str) -> None:
    first = replica(redis_url)
    endpoint = ENDPOINT + " late"
    try:
        first.record_failure(endpoint)
        first.record_failure(endpoint)
        assert eventually(lambda: bool(first.shared) and _key_set(redis_url, endpoint))
        late = replica(redis_url)
        try:
            status = late.status(endpoint)
            assert status.state == "open"
            assert 0 < status.retry_in_s <= 30
        finally:
            late.close()
    finally:
        first.close()


def _key_set(redis_url: str, endpoint: str) -> bool:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return bool(client.exists(f"asymroute:breaker:{endpoint}"))
    finally:
        client.close()


def test_a_replica_whose_redis_stops_decides_alone_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("WARNING", logger="asymroute.resilience.shared_breaker")
    with running_redis() as url:
        registry = replica(url)
    try:  # Redis is gone now
        assert eventually(lambda: registry.shared is False)
        registry.record_failure(ENDPOINT)
        registry.record_failure(ENDPOINT)
        assert registry.admit(ENDPOINT) == "open"
        assert "circuit breakers are not shared while Redis" in caplog.text
    finally:
        registry.close()
