"""Rate limits per gateway key: requests and tokens per minute, hour or day.

On the `limits` library's fixed windows (each window starts at its key's first hit and lasts
its period), in the process's memory, or in Redis when ASYMROUTE_REDIS_URL is set, so that
every replica and worker counts against the same windows.

The token rule: a request reserves, before it runs, its prompt's estimated tokens
(`budget.estimate_input_tokens`) plus its `max_tokens` (the router's `max_output_tokens` when
the client sets none), as OpenAI's own limiter does. When it ends, the reservation is corrected
to the tokens its model calls reported (every call: an escalated request spends the local and
the frontier tier's), as long as the window it was made in is still open. A request cut off
during a model call keeps its reservation. A request the gateway refuses before any model call
(a 429 of its budget) gives its tokens back; its request still counts.

A request is admitted only if every limit of its key has room; a refused request takes nothing
from any of them. The store is checked before the call and fails closed: a 503 when Redis
cannot be reached, as for the spend store of budgets.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import BaseMessage
from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError as LimitsConfigurationError
from limits.storage import storage_from_string

from asymroute.budget import estimate_input_tokens
from asymroute.errors import ConfigurationError
from asymroute.gateway.errors import GatewayError
from asymroute.gateway.settings import GatewaySettings
from asymroute.resilience.shared_breaker import check_redis_url

logger = logging.getLogger(__name__)

KINDS = ("requests", "tokens")
EVERY_KEY = "*"
"""The entry that applies to every key without its own (each key still has its own counts)."""
NAMESPACE = "asymroute"


@dataclass(frozen=True)
class KeyLimits:
    requests: tuple[RateLimitItem, ...] = ()
    tokens: tuple[RateLimitItem, ...] = ()


def parse_key_limits(
    config: Mapping[str, Mapping[str, Any]], key_names: Sequence[str]
) -> dict[str, KeyLimits]:
    """ASYMROUTE_GATEWAY_KEY_LIMITS, checked: known key names, kinds and limit strings."""
    known = set(key_names) | {EVERY_KEY}
    unknown = sorted(set(config) - known)
    if unknown:
        raise ConfigurationError(
            f"ASYMROUTE_GATEWAY_KEY_LIMITS names keys that do not exist: {', '.join(unknown)}; "
            f"use names from ASYMROUTE_GATEWAY_KEYS ({', '.join(sorted(key_names))}) or "
            f"'{EVERY_KEY}' for every key"
        )
    return {name: _key_limits(name, entry) for name, entry in config.items()}


def _key_limits(name: str, entry: Any) -> KeyLimits:
    where = f"ASYMROUTE_GATEWAY_KEY_LIMITS[{name!r}]"
    if not isinstance(entry, Mapping) or set(entry) - set(KINDS):
        raise ConfigurationError(
            f"{where} must be an object with 'requests' and/or 'tokens', e.g. "
            '{"requests": "60/minute; 1000/day", "tokens": "100000/minute"}; got ' + repr(entry)
        )
    parsed: dict[str, tuple[RateLimitItem, ...]] = {}
    for kind, text in entry.items():
        texts = [text] if isinstance(text, str) else text
        try:
            parsed[kind] = tuple(item for one in texts for item in parse_many(one))
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                f"{where}[{kind!r}] is not a limit: {text!r}; write 'N/period' with period "
                "second, minute, hour or day, several separated by ';' (e.g. '60/minute; "
                "1000/day')"
            ) from exc
    return KeyLimits(**parsed)


def storage_uri(redis_url: str | None) -> str:
    if not redis_url:
        return "async+memory://"
    return f"async+{check_redis_url(redis_url)}"


REDIS_CONNECTIONS = 100
"""Connections to Redis per process; a check beyond them waits up to REDIS_WAIT_S for one.
redis-py's default pool has the same 100 but refuses the 101st at once ("Too many
connections"): bench/replicas_load.py at 200 requests in flight got 503 for a quarter of them."""
REDIS_WAIT_S = 10.0


def open_storage(redis_url: str | None) -> Any:
    uri = storage_uri(redis_url)
    options: dict[str, Any] = {}
    try:
        if redis_url:
            from redis.asyncio import BlockingConnectionPool

            pool = BlockingConnectionPool.from_url(
                redis_url, max_connections=REDIS_CONNECTIONS, timeout=REDIS_WAIT_S
            )
            options = {"implementation": "redispy", "connection_pool": pool}
        return storage_from_string(uri, **options)
    except (LimitsConfigurationError, ImportError) as exc:
        raise ConfigurationError(
            f"cannot use ASYMROUTE_REDIS_URL ({exc}); install the client: "
            "pip install 'asymroute[redis]'"
        ) from exc


def describe(item: RateLimitItem, kind: str) -> str:
    """'60 requests per 1 minute'."""
    return f"{item.amount} {kind} per {item.multiples} {item.GRANULARITY.name}"


def duration_text(seconds: float) -> str:
    """OpenAI's form of x-ratelimit-reset-*: '20ms', '17s', '6m0s', '1h2m3s'."""
    if seconds < 1:
        return f"{max(0, math.ceil(seconds * 1000))}ms"
    whole = math.ceil(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


@dataclass
class Window:
    """One limit's state for one key after a hit: what the headers report."""

    item: RateLimitItem
    remaining: int
    reset_at: float


@dataclass
class Admission:
    """A request's place in its key's windows; corrected once, when its run settles."""

    limiter: KeyRateLimits | None
    key: str
    reserved_tokens: int = 0
    windows: dict[str, list[Window]] = field(default_factory=dict)
    settled: bool = False

    @property
    def headers(self) -> dict[str, str]:
        """OpenAI's x-ratelimit-* headers, for the tightest limit of each kind."""
        headers: dict[str, str] = {}
        now = time.time()
        for kind, windows in self.windows.items():
            if not windows:
                continue
            tightest = min(windows, key=lambda w: (w.remaining, w.reset_at))
            headers[f"x-ratelimit-limit-{kind}"] = str(tightest.item.amount)
            headers[f"x-ratelimit-remaining-{kind}"] = str(max(0, tightest.remaining))
            headers[f"x-ratelimit-reset-{kind}"] = duration_text(tightest.reset_at - now)
        return headers

    async def settled_with(self, used_tokens: int | None) -> None:
        """Correct the tokens reserved to `used_tokens` (None: keep the reservation)."""
        if self.settled or self.limiter is None:
            return
        self.settled = True
        if used_tokens is not None and used_tokens != self.reserved_tokens:
            await self.limiter.correct(self, used_tokens - self.reserved_tokens)

    async def run_settled(self, state: Mapping[str, Any], outcome: str) -> None:
        """A `metering.RunListener`: the run's model calls decide its tokens."""
        if outcome == "cancelled_in_call":
            await self.settled_with(None)
        else:
            await self.settled_with(used_tokens(state))


NO_LIMITS = Admission(None, "")


def used_tokens(state: Mapping[str, Any]) -> int:
    return sum(r["input_tokens"] + r["output_tokens"] for r in state.get("usage", []))


class KeyRateLimits:
    """The limits of every key, and their counts in one `limits` storage."""

    def __init__(self, limits: Mapping[str, KeyLimits], storage: Any) -> None:
        self.limits = dict(limits)
        self.storage = storage
        self.window_ends: dict[str, float] = {}
        """When each window seen ends (its store key expires then, however many replicas)."""

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> KeyRateLimits:
        names = list(settings.gateway_keys) or ["anonymous"]
        limits = parse_key_limits(settings.gateway_key_limits, names)
        return cls(limits, open_storage(settings.redis_url if limits else None))

    async def reachable(self) -> bool:
        """Whether the store answers (Redis: a ping); True without limits or in memory."""
        if not self.limits:
            return True
        try:
            return bool(await self.storage.check())
        except Exception:
            return False

    def of(self, key: str) -> KeyLimits | None:
        return self.limits.get(key) or self.limits.get(EVERY_KEY)

    async def admit(
        self,
        key: str,
        messages: Sequence[BaseMessage],
        max_output_tokens: int,
        tools: Sequence[Mapping[str, Any]] = (),
    ) -> Admission:
        """Count one request and its tokens' estimate (its tools' definitions included)
        against `key`'s limits, or raise 429."""
        limits = self.of(key)
        if limits is None:
            return NO_LIMITS
        tokens = estimate_input_tokens(messages, tools) + max_output_tokens if limits.tokens else 0
        admission = Admission(self, key, reserved_tokens=tokens)
        hits = [(kind, item, cost) for kind, items, cost in (
            ("requests", limits.requests, 1), ("tokens", limits.tokens, tokens)
        ) for item in items]  # fmt: skip
        try:
            # All at once: with Redis, one round trip's latency instead of one per window.
            windows = await asyncio.gather(*(self._hit(key, item, cost) for _, item, cost in hits))
            refused = [(h, w) for h, w in zip(hits, windows, strict=True) if w.remaining < 0]
            if refused:
                await self._give_back(key, [(item, cost) for _, item, cost in hits])
                (kind, item, cost), window = refused[0]
                raise self._refused(key, kind, item, cost, window.reset_at)
        except GatewayError:
            raise
        except Exception as exc:  # the store (Redis) failed: the limits cannot be enforced
            raise _store_unavailable(key, exc) from exc
        for (kind, _, _), window in zip(hits, windows, strict=True):
            admission.windows.setdefault(kind, []).append(window)
        return admission

    async def _hit(self, key: str, item: RateLimitItem, cost: int) -> Window:
        """Add `cost` to `item`'s window for `key`: a negative `remaining` means over the limit.

        `FixedWindowRateLimiter.hit` is this same `incr`, but answers only yes or no; the
        count it returns gives the headers' remaining without a second read, and a window's
        end, read once, holds until it passes (the store's key expires then). Measured with
        bench/rate_limit_cost.py on Redis over loopback (3 windows): the limiter's hit and
        window stats took 10 round trips, 2.4 ms a check; this, 3 at once, 0.4-0.8 ms.
        """
        storage_key = item.key_for(NAMESPACE, key)
        count = await self.storage.incr(storage_key, item.get_expiry(), amount=cost)
        return Window(item, item.amount - count, await self._reset_at(storage_key))

    async def _reset_at(self, storage_key: str) -> float:
        known = self.window_ends.get(storage_key)
        if known is None or known <= time.time():
            known = self.window_ends[storage_key] = await self.storage.get_expiry(storage_key)
        return known

    async def correct(self, admission: Admission, delta: int) -> None:
        """Add `delta` tokens to the windows the admission was counted in, if still open."""
        now = time.time()
        try:
            for window in admission.windows.get("tokens", []):
                if window.reset_at > now:
                    item = window.item
                    key = item.key_for(NAMESPACE, admission.key)
                    await self.storage.incr(key, item.get_expiry(), amount=delta)
        except Exception:
            logger.exception("tokens of key %r were not corrected by %d", admission.key, delta)

    async def _give_back(self, key: str, hits: Sequence[tuple[RateLimitItem, int]]) -> None:
        for item, cost in hits:
            await self.storage.incr(item.key_for(NAMESPACE, key), item.get_expiry(), amount=-cost)

    def _refused(
        self, key: str, kind: str, item: RateLimitItem, cost: int, reset_at: float
    ) -> GatewayError:
        wait = max(1, math.ceil(reset_at - time.time()))
        headers = {
            "retry-after": str(wait),
            f"x-ratelimit-limit-{kind}": str(item.amount),
            f"x-ratelimit-remaining-{kind}": "0",
            f"x-ratelimit-reset-{kind}": duration_text(reset_at - time.time()),
        }
        if kind == "tokens" and cost > item.amount:
            message = (
                f"this request may use {cost} tokens (its prompt's estimate plus max_tokens), "
                f"more than key '{key}' may use in any window ({describe(item, kind)}); lower "
                "max_tokens or shorten the prompt"
            )
        else:
            message = f"key '{key}' reached its limit of {describe(item, kind)}; retry in {wait} s"
        return GatewayError(
            429,
            message,
            type=kind,  # OpenAI's types: "requests" or "tokens"
            code="rate_limit_exceeded",
            headers=headers,
        )


def _store_unavailable(key: str, exc: Exception) -> GatewayError:
    logger.error("cannot check the rate limits of key %r: %s", key, exc)
    return GatewayError(
        503,
        "the gateway cannot reach its rate-limit store to check this key's limits; retry "
        "later (the operator should check the gateway log and ASYMROUTE_REDIS_URL)",
        type="server_error",
        code="rate_limit_store_unavailable",
    )
