"""Breakers shared through Redis: what a replica does with the changes it receives, and that
it decides alone (as the in-memory registry does) while Redis cannot be reached.

The exchange with a real Redis is tested in tests/integration/test_shared_breakers_live.py.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from asymroute.errors import ConfigurationError
from asymroute.gateway.metrics import GatewayMetrics
from asymroute.gateway.settings import GatewaySettings
from asymroute.gateway.spend import open_spend_store
from asymroute.resilience import BreakerRegistry
from asymroute.resilience.runtime import Resilience
from asymroute.resilience.shared_breaker import SharedBreakerRegistry
from asymroute.settings import Settings


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


URL = "redis://redis.invalid:6379/0"


class Unreachable:
    """A client whose every command fails as when Redis is down (no socket is opened)."""

    def pipeline(self, **_: object) -> None:
        fail()

    def pubsub(self, **_: object) -> FailingPubSub:
        return FailingPubSub()

    def close(self) -> None:
        pass


def fail(*args: object, **kwargs: object) -> None:
    raise redis.ConnectionError("Error 111 connecting to redis.invalid:6379. Connection refused.")


class FailingPubSub:
    subscribe = staticmethod(fail)

    def close(self) -> None:
        pass


def message(registry: SharedBreakerRegistry, replica: str = "other", **fields: object) -> bytes:
    return json.dumps({"replica": replica, **fields}).encode()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def registry(clock: FakeClock) -> Iterator[SharedBreakerRegistry]:
    shared = SharedBreakerRegistry(3, 30.0, URL, clock=clock, client_factory=Unreachable)
    yield shared
    shared.close()


def test_another_replicas_opening_cools_the_endpoint_down_for_the_time_it_has_left(
    registry: SharedBreakerRegistry, clock: FakeClock
) -> None:
    registry._receive(
        message(registry, endpoint="e", state="open", consecutive_failures=4, remaining_s=12.5)
    )
    status = registry.status("e")
    assert (status.state, status.consecutive_failures) == ("open", 4)
    assert status.retry_in_s == pytest.approx(12.5)
    assert registry.admit("e") == "open"
    clock.now += 12.5
    assert registry.admit("e") == "probe"  # then this replica may probe it


def test_another_replicas_success_closes_the_endpoint(registry: SharedBreakerRegistry) -> None:
    for _ in range(3):
        registry.record_failure("e")
    assert registry.is_cooling_down("e")
    registry._receive(message(registry, endpoint="e", state="closed"))
    assert registry.admit("e") == "closed"
    assert registry.status("e").consecutive_failures == 0


def test_its_own_and_malformed_messages_change_nothing(
    registry: SharedBreakerRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    own = message(registry, registry.replica, endpoint="e", state="open", remaining_s=10)
    registry._receive(own)
    with caplog.at_level(logging.WARNING):
        registry._receive(b"not json")
        registry._receive(message(registry, state="open"))  # no endpoint
    assert registry.status("e").state == "closed"
    assert "malformed breaker message" in caplog.text


def test_without_redis_a_replica_decides_alone_and_says_so(
    caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    caplog.set_level(logging.WARNING, logger="asymroute.resilience.shared_breaker")
    registry = SharedBreakerRegistry(3, 30.0, URL, clock=clock, client_factory=Unreachable)
    for _ in range(3):
        assert registry.admit("e") == "closed"
        registry.record_failure("e")
    assert registry.admit("e") == "open"
    deadline = time.monotonic() + 10
    while "not shared" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.01)
    assert registry.shared is False
    assert "circuit breakers are not shared while Redis" in caplog.text
    text = GatewayMetrics(registry).exposition().decode()
    registry.close()
    assert "asymroute_breaker_shared 0.0" in text


def test_the_registry_reports_changes_others_must_hear_about() -> None:
    breakers = BreakerRegistry(failure_threshold=2, cooldown_s=10.0, clock=FakeClock())
    assert breakers.record_success("e") is False  # closed stays closed: nothing to publish
    assert breakers.record_failure("e") is False
    assert breakers.record_failure("e") is True  # opened
    assert breakers.record_success("e") is True  # closed again


def test_a_redis_url_shares_the_breakers_and_none_keeps_them_in_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(SharedBreakerRegistry, "_new_client", lambda self: Unreachable())
    assert type(Resilience.from_settings(Settings()).breakers) is BreakerRegistry
    assert BreakerRegistry(1, 1.0).shared is None
    shared = Resilience.from_settings(Settings(ASYMROUTE_REDIS_URL=URL)).breakers
    assert isinstance(shared, SharedBreakerRegistry)
    shared.close()
    off = Settings(ASYMROUTE_REDIS_URL=URL, ASYMROUTE_BREAKER_FAILURES=0)
    assert type(Resilience.from_settings(off).breakers) is BreakerRegistry


def test_a_redis_url_that_is_not_one_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="ASYMROUTE_REDIS_URL must be a redis://"):
        Resilience.from_settings(Settings(ASYMROUTE_REDIS_URL="http://cache:6379"))


def test_budgets_outside_postgres_on_a_gateway_with_redis_are_warned_about(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.WARNING, logger="asymroute.gateway.spend")
    common = {
        "_env_file": None,
        "gateway_keys": {"team": "sk-team"},
        "gateway_key_budgets_usd": {"team": 1.0},
        "gateway_spend_path": tmp_path / "spend.sqlite",
    }
    open_spend_store(GatewaySettings(**common)).close()  # type: ignore[arg-type]
    assert "replicas" not in caplog.text
    with_redis = GatewaySettings(**common, redis_url=URL)  # type: ignore[arg-type]
    open_spend_store(with_redis).close()
    assert "a SQLite file, which only processes on this host share" in caplog.text
    assert "ASYMROUTE_POSTGRES_URL" in caplog.text


class RecordingPipeline:
    def __init__(self, sent: list[tuple[str, ...]]) -> None:
        self.sent, self.commands = sent, []

    def set(self, key: str, value: str, px: int) -> None:
        self.commands.append(("set", key, str(px)))

    def delete(self, key: str) -> None:
        self.commands.append(("delete", key))

    def publish(self, channel: str, message: str) -> None:
        self.commands.append(("publish", json.loads(message)["state"]))

    def execute(self) -> None:
        self.sent.extend(self.commands)


class ComesBack(Unreachable):
    """Refuses the first publication (10 s pass meanwhile), takes the next ones."""

    def __init__(self, sent: list[tuple[str, ...]], clock: FakeClock) -> None:
        self.sent, self.clock, self.refused = sent, clock, False

    def pipeline(self, **_: object) -> RecordingPipeline:  # type: ignore[override]
        if not self.refused:
            self.refused = True
            self.clock.now += 10
            fail()
        return RecordingPipeline(self.sent)


def wait_for(sent: list[tuple[str, ...]], count: int) -> None:
    deadline = time.monotonic() + 10
    while len(sent) < count and time.monotonic() < deadline:
        time.sleep(0.005)


def test_changes_made_while_redis_is_away_go_out_in_order_once_it_is_back(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    monkeypatch.setattr("asymroute.resilience.shared_breaker.RECONNECT_S", 0.01)
    sent: list[tuple[str, ...]] = []
    shared = SharedBreakerRegistry(
        1, 30.0, URL, clock=clock, client_factory=lambda: ComesBack(sent, clock)
    )
    try:
        shared.record_failure("e")  # opens: refused once, published 10 s later
        wait_for(sent, 2)
        shared.record_success("e")
        wait_for(sent, 4)
    finally:
        shared.close()
    assert sent[:2] == [("set", "asymroute:breaker:e", "20000"), ("publish", "open")]
    assert sent[2:] == [("delete", "asymroute:breaker:e"), ("publish", "closed")]
