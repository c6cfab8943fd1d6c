"""1,000 concurrent `ainvoke`s through real clients, against upstreams with a mixed fault schedule.

Every request must be answered (the local tier never errors in this schedule, so every route
has an answer to fall back on), and the usage the results report must add up to what the
upstreams counted: each attempt that reached a server, each token a server billed.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from asymroute.context import RouterContext
from asymroute.graphs.router import build_router
from asymroute.pricing import ModelPrice
from asymroute.resilience import request_attempt_bound
from asymroute.settings import Settings
from bench.support.faulty_upstream import FaultyUpstream

REQUESTS = 1000
PRICE = ModelPrice(input_per_million=5.0, output_per_million=15.0)
LOCAL_SCHEDULE = ("ok", "ok", "slow_first_byte", "empty", "ok")
FRONTIER_SCHEDULE = (
    "ok",
    "server_error",
    "ok",
    "rate_limited",
    "unavailable",
    "ok",
    "malformed_json",
    "truncated",
    "empty",
    "reset",
    "ok",
)


@pytest.fixture
def upstreams() -> Iterator[tuple[FaultyUpstream, FaultyUpstream]]:
    with (
        FaultyUpstream(slow_s=0.05) as local,
        FaultyUpstream(slow_s=0.05, retry_after="0.05") as frontier,
    ):
        yield local, frontier


@pytest.mark.timeout(900)
def test_a_thousand_concurrent_requests_are_all_answered_and_accounted_for(
    upstreams: tuple[FaultyUpstream, FaultyUpstream],
) -> None:
    local, frontier = upstreams
    local.script(*itertools.islice(itertools.cycle(LOCAL_SCHEDULE), 3 * REQUESTS))
    frontier.script(*itertools.islice(itertools.cycle(FRONTIER_SCHEDULE), 5 * REQUESTS))
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        OLLAMA_BASE_URL=local.url,
        OPENAI_BASE_URL=frontier.openai_url,
        ASYMROUTE_PRICES={"openai:m": PRICE},
        # Generous: a thousand requests queue for connections; timeouts are not under test.
        ASYMROUTE_CONNECT_TIMEOUT_S=120,
        ASYMROUTE_LOCAL_TIMEOUT_S=120,
        ASYMROUTE_FRONTIER_TIMEOUT_S=120,
        ASYMROUTE_FRONTIER_MAX_RETRIES=2,
        ASYMROUTE_RETRY_BASE_DELAY_S=0.01,
        ASYMROUTE_RETRY_MAX_DELAY_S=0.05,
        ASYMROUTE_BREAKER_FAILURES=5,
        ASYMROUTE_BREAKER_COOLDOWN_S=0.2,
    )
    base = RouterContext(
        local_model="ollama:m",
        frontier_model="openai:m",
        classifier="keywords",
        max_output_tokens=16,
        privacy="off",
    )
    contexts = [
        RouterContext(**{**base.__dict__, "threshold": threshold}) for threshold in (0.0, 1.0)
    ]
    graph = build_router(settings, base)

    async def one(index: int) -> Any:
        prompt = f"What is {index}+3?"
        return await graph.ainvoke({"messages": [("user", prompt)]}, context=contexts[index % 2])

    async def everything() -> list[Any]:
        return await asyncio.gather(*(one(i) for i in range(REQUESTS)), return_exceptions=True)

    results = asyncio.run(everything())

    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == [], errors[:3]
    assert len(results) == REQUESTS
    assert all(r["answered_by"] in ("local", "frontier") and r["messages"][-1] for r in results)
    bound = request_attempt_bound(settings)
    assert all(sum(u["attempts"] for u in r["usage"]) <= bound for r in results)

    usage = [u for r in results for u in r["usage"]]
    timed_out = 0
    for tier, upstream in (("local", local), ("frontier", frontier)):
        records = [u for u in usage if u["tier"] == tier]
        attempts = sum(u["attempts"] for u in records)
        # On a starved machine a client may time out before its request reaches the server
        # (or after the server billed it): those attempts are the only allowed difference.
        tier_timeouts = sum(
            "Timeout" in error for u in records for error in u.get("attempt_errors") or []
        )
        timed_out += tier_timeouts
        assert len(upstream.calls) <= attempts <= len(upstream.calls) + tier_timeouts, tier
        billed = upstream.billed()
        recorded = (
            sum(u["input_tokens"] for u in records),
            sum(u["output_tokens"] for u in records),
        )
        if tier_timeouts:
            assert recorded[0] <= billed[0] and recorded[1] <= billed[1], tier
        else:
            assert recorded == billed, tier
    total_cost = sum(r["total_cost_usd"] for r in results)
    recorded_frontier = [u for u in usage if u["tier"] == "frontier"]
    assert total_cost == pytest.approx(
        PRICE.cost(
            sum(u["input_tokens"] for u in recorded_frontier),
            sum(u["output_tokens"] for u in recorded_frontier),
        ),
        rel=1e-9,
    )
    if not timed_out:
        assert total_cost == pytest.approx(PRICE.cost(*frontier.billed()), rel=1e-9)
    # The schedule really was mixed: faults were served, and both tiers answered requests.
    assert set(frontier.calls_by_fault()) >= {"server_error", "rate_limited", "malformed_json"}
    assert {r["answered_by"] for r in results} == {"local", "frontier"}
