"""The Redis-backed limiter under many requests at once (a real redis-server on loopback):
more checks in flight than the process has Redis connections wait for one, none fails."""

from __future__ import annotations

import asyncio

import pytest
from langchain_core.messages import HumanMessage

from asymroute.gateway.rate_limits import (
    REDIS_CONNECTIONS,
    KeyRateLimits,
    open_storage,
    parse_key_limits,
)
from bench.support.redis import redis_server_binary, running_redis

pytestmark = pytest.mark.skipif(
    redis_server_binary() is None, reason="redis-server is not installed (.ci/run installs it)"
)


def test_more_checks_at_once_than_connections_are_all_counted() -> None:
    at_once = 3 * REDIS_CONNECTIONS
    config = {"team": {"requests": "100000/minute", "tokens": "100000000/minute"}}
    with running_redis() as url:

        async def check_all() -> list[str]:
            limiter = KeyRateLimits(parse_key_limits(config, ["team"]), open_storage(url))
            messages = [HumanMessage("What is 2+3?")]
            admissions = await asyncio.gather(
                *(limiter.admit("team", messages, 8) for _ in range(at_once))
            )
            return [a.headers["x-ratelimit-remaining-requests"] for a in admissions]

        remaining = asyncio.run(check_all())
    assert sorted(int(r) for r in remaining) == list(range(100000 - at_once, 100000))
