"""Per-endpoint circuit breaker: skip an endpoint that keeps failing, probe it again later.

Closed: calls go through; `failure_threshold` consecutive failed attempts open it. Open: calls
are skipped for `cooldown_s`. Then half-open: one call goes through as a probe (the others are
still skipped); its success closes the breaker, its failure opens it for another cooldown. A
probe that never reports back (its caller was cancelled) is replaced after one cooldown.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Admission = Literal["closed", "probe", "open"]


@dataclass
class _Endpoint:
    consecutive_failures: int = 0
    opened_at: float | None = None
    probe_started_at: float | None = None


@dataclass(frozen=True)
class BreakerStatus:
    endpoint: str
    state: Literal["closed", "open", "half-open"]
    consecutive_failures: int
    retry_in_s: float


class BreakerRegistry:
    """Thread-safe; shared by every run of one compiled router (sync and async alike)."""

    shared: bool | None = None
    """None: this process's memory only; else whether the state is shared with replicas now
    (`shared_breaker.SharedBreakerRegistry`)."""

    def __init__(
        self,
        failure_threshold: int,
        cooldown_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._endpoints: dict[str, _Endpoint] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.failure_threshold > 0

    def close(self) -> None:
        """Release what the registry holds beyond memory (nothing here)."""

    def status(self, endpoint: str) -> BreakerStatus:
        with self._lock:
            state = self._endpoints.get(endpoint) or _Endpoint()
            now = self._clock()
            if state.opened_at is None:
                return BreakerStatus(endpoint, "closed", state.consecutive_failures, 0.0)
            remaining = state.opened_at + self.cooldown_s - now
            if remaining > 0:
                return BreakerStatus(endpoint, "open", state.consecutive_failures, remaining)
            return BreakerStatus(endpoint, "half-open", state.consecutive_failures, 0.0)

    def statuses(self) -> list[BreakerStatus]:
        """Every endpoint called so far (for metrics)."""
        with self._lock:
            endpoints = list(self._endpoints)
        return [self.status(endpoint) for endpoint in endpoints]

    def is_cooling_down(self, endpoint: str) -> bool:
        """Open and inside its cooldown: route elsewhere. Half-open counts as available."""
        return self.status(endpoint).state == "open"

    def admit(self, endpoint: str) -> Admission:
        """Whether a call may go to `endpoint` now; "probe" claims the half-open trial."""
        if not self.enabled:
            return "closed"
        with self._lock:
            state = self._endpoints.setdefault(endpoint, _Endpoint())
            if state.opened_at is None:
                return "closed"
            now = self._clock()
            if now < state.opened_at + self.cooldown_s:
                return "open"
            probe = state.probe_started_at
            if probe is not None and now < probe + self.cooldown_s:
                return "open"  # another caller is probing
            state.probe_started_at = now
            return "probe"

    def record_success(self, endpoint: str) -> bool:
        """Close the breaker; True if it was open or half-open (a change others may want)."""
        with self._lock:
            previous = self._endpoints.get(endpoint)
            self._endpoints[endpoint] = _Endpoint()
        return previous is not None and previous.opened_at is not None

    def record_failure(self, endpoint: str) -> bool:
        """Count a failed attempt; True if this failure (re)opened the breaker."""
        if not self.enabled:
            return False
        with self._lock:
            state = self._endpoints.setdefault(endpoint, _Endpoint())
            state.consecutive_failures += 1
            probing = state.opened_at is not None
            if probing or state.consecutive_failures >= self.failure_threshold:
                state.opened_at = self._clock()
                state.probe_started_at = None
                return True
            return False

    def mark_open(self, endpoint: str, consecutive_failures: int, remaining_s: float) -> None:
        """Another replica opened `endpoint`: cool it down here too for `remaining_s`."""
        if not self.enabled or remaining_s <= 0:
            return
        with self._lock:
            state = self._endpoints.setdefault(endpoint, _Endpoint())
            state.consecutive_failures = max(state.consecutive_failures, consecutive_failures)
            state.opened_at = self._clock() - max(0.0, self.cooldown_s - remaining_s)
            state.probe_started_at = None

    def mark_closed(self, endpoint: str) -> None:
        """Another replica's probe (or call) succeeded: the endpoint answers again."""
        with self._lock:
            if endpoint in self._endpoints:
                self._endpoints[endpoint] = _Endpoint()
