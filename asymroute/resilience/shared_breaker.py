"""Circuit breakers shared by replicas through Redis: an endpoint that fails for one gateway
process cools down for every process that uses the same Redis.

Every decision stays local and in memory (`BreakerRegistry`): `admit`, `status`,
`is_cooling_down` and `record_*` take a lock for microseconds and never wait on the network,
whether called from the blocking path or on an event loop (where the LangGraph server's
blocking detector would reject a socket read). What crosses the network runs in two daemon
threads of this process:

- a publisher: when this replica opens an endpoint (threshold reached, or a probe failed) it
  sets `asymroute:breaker:<endpoint>` with the cooldown left as its expiry and publishes the
  change on the channel `asymroute:breakers`; when it closes one (a call succeeded while the
  breaker was open or half-open) it deletes the key and publishes that;
- a subscriber: applies the other replicas' changes to the local registry as they arrive, and
  on every (re)connection reads the open endpoints' keys and their time left (PTTL), so a
  replica that starts or reconnects during a cooldown honours it.

Times cross replicas as "seconds left", never as clock readings, so clock skew between hosts
does not matter. The failure threshold is counted per replica; the opening is shared. Each
replica may send one probe when a cooldown ends; the first success closes it everywhere.

If Redis cannot be reached, the gateway goes on with local state only: a warning in the log,
`shared` false (the metric `asymroute_breaker_shared` 0), and a reconnection every few
seconds; nothing but the publisher waits for it. Its changes go out in order once Redis is
back (an opening with the time it has left then, or not at all if its cooldown has passed).
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from asymroute.errors import ConfigurationError
from asymroute.resilience.breaker import Admission, BreakerRegistry, BreakerStatus

logger = logging.getLogger(__name__)

CHANNEL = "asymroute:breakers"
KEY_PREFIX = "asymroute:breaker:"
RECONNECT_S = 2.0
SOCKET_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Change:
    endpoint: str
    state: str  # "open" or "closed"
    consecutive_failures: int = 0
    remaining_s: float = 0.0


class SharedBreakerRegistry(BreakerRegistry):
    """A `BreakerRegistry` whose openings and closings reach every replica on one Redis."""

    def __init__(
        self,
        failure_threshold: int,
        cooldown_s: float,
        redis_url: str,
        clock: Callable[[], float] = time.monotonic,
        client_factory: Callable[[], Any] | None = None,
    ) -> None:
        """`client_factory`: makes a `redis.Redis` (tests give one that fails)."""
        super().__init__(failure_threshold, cooldown_s, clock)
        self._client = client_factory or self._new_client
        self.redis_url = check_redis_url(redis_url)
        self.replica = uuid.uuid4().hex
        self.shared = False
        """Whether the last exchange with Redis worked (False before the first one)."""
        self._outbox: queue.SimpleQueue[Change | None] = queue.SimpleQueue()
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []
        self._start_lock = threading.Lock()
        self._redis = _redis_module()
        self._warned = False
        self._subscribed = False
        _forget_threads_after_fork(self)
        # Now, not at the first call: the open endpoints are read while the app starts, so
        # its first requests already honour cooldowns other replicas hold.
        self._ensure_started()

    # The callers' interface: local decisions, plus a note to the publisher on a change.

    def status(self, endpoint: str) -> BreakerStatus:
        self._ensure_started()  # a bool test once started; every other query goes through here
        return super().status(endpoint)

    def admit(self, endpoint: str) -> Admission:
        self._ensure_started()
        return super().admit(endpoint)

    def record_success(self, endpoint: str) -> bool:
        changed = super().record_success(endpoint)
        if changed:
            self._send(Change(endpoint, "closed"))
        return changed

    def record_failure(self, endpoint: str) -> bool:
        opened = super().record_failure(endpoint)
        if opened:
            status = self.status(endpoint)
            self._send(Change(endpoint, "open", status.consecutive_failures, status.retry_in_s))
        return opened

    def close(self) -> None:
        """Send what is queued, then stop the threads (daemons: a process may also just exit)."""
        self._outbox.put(None)
        self._stopped.set()
        for thread in self._threads:
            thread.join(timeout=SOCKET_TIMEOUT_S + 1)

    def _send(self, change: Change) -> None:
        self._ensure_started()
        self._outbox.put(change)

    def _ensure_started(self) -> None:
        if self._threads or self._stopped.is_set():
            return
        with self._start_lock:
            if self._threads:
                return
            for target, name in ((self._publish_loop, "pub"), (self._subscribe_loop, "sub")):
                thread = threading.Thread(
                    target=target, name=f"asymroute-breakers-{name}", daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def _new_client(self) -> Any:
        return self._redis.Redis.from_url(
            self.redis_url,
            socket_timeout=SOCKET_TIMEOUT_S,
            socket_connect_timeout=SOCKET_TIMEOUT_S,
            health_check_interval=5,
        )

    # The publisher thread.

    def _publish_loop(self) -> None:
        """Until `close()`'s sentinel: the changes queued before it still go out (once each,
        when Redis answers; a stopping registry does not wait for Redis to come back)."""
        client = self._client()
        while (change := self._outbox.get()) is not None:
            while True:  # in order, each until it is out
                try:
                    self._publish(client, change)
                except (self._redis.RedisError, OSError) as exc:
                    self._lost(exc)
                    if self._stopped.wait(RECONNECT_S):
                        break
                    continue
                if self._subscribed:
                    self._found()
                break
        client.close()

    def _publish(self, client: Any, change: Change) -> None:
        key = KEY_PREFIX + change.endpoint
        if change.state == "open":
            # The time left now: the change may have waited for Redis to come back.
            status = self.status(change.endpoint)
            if status.state != "open":
                return  # its cooldown passed meanwhile: nothing left to share
            change = replace(change, remaining_s=status.retry_in_s)
        message = json.dumps({"replica": self.replica, **change.__dict__})
        pipe = client.pipeline(transaction=False)
        if change.state == "open":
            pipe.set(key, message, px=max(1, int(change.remaining_s * 1000)))
        else:
            pipe.delete(key)
        pipe.publish(CHANNEL, message)
        pipe.execute()

    # The subscriber thread.

    def _subscribe_loop(self) -> None:
        while not self._stopped.is_set():
            client = self._client()
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(CHANNEL)
                self._catch_up(client)
                self._subscribed = True
                self._found()
                while not self._stopped.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._receive(message["data"])
            except (self._redis.RedisError, OSError) as exc:
                self._subscribed = False
                self._lost(exc)
                self._stopped.wait(RECONNECT_S)
            finally:
                pubsub.close()
                client.close()

    def _catch_up(self, client: Any) -> None:
        """Publish what this replica holds open, then take every open endpoint's time left."""
        for status in self.statuses():
            if status.state == "open":
                change = Change(status.endpoint, "open", status.consecutive_failures)
                message = json.dumps({"replica": self.replica, **change.__dict__})
                millis = max(1, int(status.retry_in_s * 1000))
                client.set(KEY_PREFIX + status.endpoint, message, px=millis, nx=True)
        keys = list(client.scan_iter(match=KEY_PREFIX + "*", count=500))
        if not keys:
            return
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.get(key)
            pipe.pttl(key)
        answers = pipe.execute()
        for key, value, millis in zip(keys, answers[::2], answers[1::2], strict=True):
            if value is None or millis is None or millis <= 0:
                continue
            endpoint = (key.decode() if isinstance(key, bytes) else key)[len(KEY_PREFIX) :]
            failures = int(json.loads(value).get("consecutive_failures", 0))
            self.mark_open(endpoint, failures, millis / 1000)

    def _receive(self, data: bytes | str) -> None:
        try:
            message = json.loads(data)
            if message.get("replica") == self.replica:
                return  # our own change, already applied
            endpoint = str(message["endpoint"])
            if message["state"] == "open":
                failures = int(message.get("consecutive_failures", 0))
                self.mark_open(endpoint, failures, float(message["remaining_s"]))
            elif message["state"] == "closed":
                self.mark_closed(endpoint)
        except (ValueError, KeyError, TypeError):
            logger.warning("ignored a malformed breaker message on %s: %r", CHANNEL, data)

    def _found(self) -> None:
        if not self.shared:
            logger.info("circuit breakers are shared through Redis (%s)", CHANNEL)
        self.shared = True

    def _lost(self, exc: BaseException) -> None:
        if self.shared or not self._warned:
            logger.warning(
                "circuit breakers are not shared while Redis (ASYMROUTE_REDIS_URL) cannot be "
                "reached (%s: %s); this replica keeps its own cooldowns and retries every %.0f s",
                type(exc).__name__,
                exc,
                RECONNECT_S,
            )
            self._warned = True
        self.shared = False


def check_redis_url(redis_url: str) -> str:
    if not redis_url.startswith(("redis://", "rediss://", "redis+unix://")):
        raise ConfigurationError(
            f"ASYMROUTE_REDIS_URL must be a redis:// (or rediss://) URL, got {redis_url!r}"
        )
    return redis_url


def _redis_module() -> Any:
    try:
        import redis
    except ImportError as exc:
        raise ConfigurationError(
            "ASYMROUTE_REDIS_URL is set, so circuit breakers are shared through Redis, but the "
            "client is not installed: pip install 'asymroute[redis]'"
        ) from exc
    return redis


def _forget_threads_after_fork(registry: SharedBreakerRegistry) -> None:
    """A forked child has none of its parent's threads: it starts its own on first use."""
    ref = weakref.ref(registry)

    def forget() -> None:
        child = ref()
        if child is not None:
            child._threads = []
            child._start_lock = threading.Lock()
            child.shared = child._subscribed = False

    os.register_at_fork(after_in_child=forget)


def wait_until_shared(registry: BreakerRegistry, timeout_s: float) -> bool:
    """For tests and benchmarks: True once a shared registry has reached Redis."""
    if not isinstance(registry, SharedBreakerRegistry):
        return False
    registry._ensure_started()
    deadline = time.monotonic() + timeout_s
    while not registry.shared and time.monotonic() < deadline:
        time.sleep(0.01)
    return bool(registry.shared)
