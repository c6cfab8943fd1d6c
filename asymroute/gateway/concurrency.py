"""Requests in flight per gateway key, so that one key cannot occupy every worker and model.

Hand-written: a counter per key, touched only from the gateway's event loop (no lock). The rate
limiting libraries (limits, slowapi) meter requests per time window; what a heavy client
exhausts here is requests in flight at once, which they do not count.
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import AsyncIterable, AsyncIterator
from typing import TypeVar

from asymroute.gateway.errors import GatewayError

Event = TypeVar("Event")


class KeyConcurrency:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        """Most requests in flight per key; 0: no limit."""
        self.in_flight: Counter[str] = Counter()

    def acquire(self, key: str) -> Slot:
        """A slot for one request of `key`, or a 429 when the key already has `limit`."""
        if self.limit and self.in_flight[key] >= self.limit:
            raise GatewayError(
                429,
                f"this key already has {self.limit} requests in flight; wait for one to "
                "finish, or raise ASYMROUTE_GATEWAY_MAX_CONCURRENT_PER_KEY",
                type="rate_limit_error",
                code="concurrency_limit_exceeded",
                headers={"retry-after": "1"},
            )
        self.in_flight[key] += 1
        return Slot(self, key)

    def _release(self, key: str) -> None:
        self.in_flight[key] -= 1
        if self.in_flight[key] <= 0:
            del self.in_flight[key]


class Slot:
    """One request's place in its key's count; released once, however often `release` runs."""

    def __init__(self, limiter: KeyConcurrency, key: str) -> None:
        self.limiter, self.key, self.released = limiter, key, False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.limiter._release(self.key)

    def held_by(self, events: AsyncIterable[Event]) -> AsyncIterator[Event]:
        """`events`, releasing the slot when they end; also when the response is dropped before
        its body was read (a generator never started runs no `finally`)."""

        async def until_done() -> AsyncIterator[Event]:
            try:
                async for event in events:
                    yield event
            finally:
                self.release()

        stream = until_done()
        weakref.finalize(stream, self.release)
        return stream
