"""Fault matrix: every upstream fault on each tier, through the real ChatOllama and ChatOpenAI.

The faulted tier is served by a misbehaving upstream on loopback (bench/support/faulty_upstream.py),
the other tier by a healthy one. Each case asserts who answered (or which error), the calls and
attempts made (in the result and as counted at the upstream), and that the request's wall
time stays within the bound the configuration implies. Every case runs under `invoke` and
`ainvoke`, and under `ainvoke` with both tiers' calls (ollama: and openai:) sent through
aiohttp transports (as `asymroute serve` does). `python -m tests.integration.test_fault_matrix`
prints the README table.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from asymroute.context import RouterContext
from asymroute.errors import NoAnswerError
from asymroute.graphs.router import build_router
from asymroute.planning import RouterSetup
from asymroute.pricing import ModelPrice
from asymroute.records import attempts_made
from asymroute.resilience import request_attempt_bound, retry_policy
from asymroute.settings import Settings
from bench.support.faulty_upstream import FaultyUpstream

READ_TIMEOUT_S = 1.0
CONNECT_TIMEOUT_S = 1.0
RETRY_AFTER_S = 1
SLOW_FIRST_BYTE_S = 0.3
OVERHEAD_S = 5.0
"""Graph, client set-up and scheduling on a loaded 2-core machine: generous on purpose."""
PROMPT = "What is 2+3?"


@dataclass(frozen=True)
class FaultCase:
    fault: str
    tier: str
    answered_by: str
    calls: tuple[tuple[str, int], ...]
    """(tier, attempts) of each model call, in order."""
    flag: str | None = None
    why: str = ""


def _cases() -> list[FaultCase]:
    local_retried = (("local", 2), ("frontier", 1))
    frontier_retried = (("frontier", 3), ("local", 1))
    local_once = (("local", 1), ("frontier", 1))
    frontier_once = (("frontier", 1), ("local", 1))
    failed = "frontier_failed"
    return [
        FaultCase("refused", "local", "frontier", local_retried, why="transient: retried"),
        FaultCase("hang", "local", "frontier", local_retried, why="read timeout, retried"),
        FaultCase("slow_first_byte", "local", "local", (("local", 1),), why="within timeout"),
        FaultCase("rate_limited", "local", "frontier", local_retried, why="429: retried"),
        FaultCase("server_error", "local", "frontier", local_retried, why="500: retried"),
        FaultCase("unavailable", "local", "frontier", local_retried, why="503: retried"),
        FaultCase("malformed_json", "local", "frontier", local_once, why="not retried"),
        FaultCase("truncated", "local", "frontier", local_retried, why="peer closed: retried"),
        FaultCase("empty", "local", "frontier", local_once, why="validator rejects, escalates"),
        FaultCase("refused", "frontier", "local", frontier_retried, failed, "retried, fallback"),
        FaultCase("hang", "frontier", "local", frontier_retried, failed, "timeouts, fallback"),
        FaultCase("slow_first_byte", "frontier", "frontier", (("frontier", 1),), None, "ok"),
        FaultCase(
            "rate_limited", "frontier", "local", frontier_retried, failed, "Retry-After waited"
        ),
        FaultCase("server_error", "frontier", "local", frontier_retried, failed, "retried"),
        FaultCase("unavailable", "frontier", "local", frontier_retried, failed, "retried"),
        FaultCase("malformed_json", "frontier", "local", frontier_once, failed, "not retried"),
        FaultCase("truncated", "frontier", "local", frontier_retried, failed, "retried"),
        FaultCase("empty", "frontier", "local", frontier_once, failed, "empty = failed"),
    ]


MATRIX = _cases()


@pytest.fixture(scope="module")
def upstreams() -> Iterator[dict[str, FaultyUpstream]]:
    with (
        FaultyUpstream(slow_s=SLOW_FIRST_BYTE_S, retry_after=str(RETRY_AFTER_S)) as local,
        FaultyUpstream(slow_s=SLOW_FIRST_BYTE_S, retry_after=str(RETRY_AFTER_S)) as frontier,
    ):
        yield {"local": local, "frontier": frontier}


@pytest.fixture
def fresh(upstreams: dict[str, FaultyUpstream]) -> dict[str, FaultyUpstream]:
    for upstream in upstreams.values():
        upstream.reset_calls()
        upstream.set_default("ok")
    return upstreams


def matrix_settings(local_url: str, openai_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "ollama_base_url": local_url,
        "openai_base_url": openai_url,
        "price_overrides": {"openai:m": ModelPrice(input_per_million=5, output_per_million=15)},
        "local_timeout_s": READ_TIMEOUT_S,
        "frontier_timeout_s": READ_TIMEOUT_S,
        "connect_timeout_s": CONNECT_TIMEOUT_S,
        "local_max_retries": 1,
        "frontier_max_retries": 2,
        "retry_base_delay_s": 0.05,
        "retry_max_delay_s": 0.2,
        "retry_after_max_s": 2.0,
        "call_deadline_s": 10.0,
        "breaker_failure_threshold": 0,  # cooldowns are tested on their own below
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def wall_time_bound(settings: Settings) -> float:
    """The most one request may take: each tier's worst case, plus fixed overhead."""
    attempt_s = CONNECT_TIMEOUT_S + READ_TIMEOUT_S
    return (
        retry_policy("local", settings).worst_case_s(attempt_s)
        + retry_policy("frontier", settings).worst_case_s(attempt_s)
        + OVERHEAD_S
    )


def context_for(tier: str, **fields: Any) -> RouterContext:
    return RouterContext(
        local_model="ollama:m",
        frontier_model="openai:m",
        classifier="keywords",  # scores the prompt 0.0: thresholds pick the route exactly
        threshold=0.0 if tier == "frontier" else 1.0,
        max_output_tokens=16,
        privacy="off",
        **fields,
    )


def arrange(upstreams: dict[str, FaultyUpstream], case: FaultCase) -> Settings:
    local_url, frontier_url = upstreams["local"].url, upstreams["frontier"].openai_url
    if case.fault == "refused":
        refused = upstreams[case.tier].refused_url
        local_url = refused if case.tier == "local" else local_url
        frontier_url = f"{refused}/v1" if case.tier == "frontier" else frontier_url
    else:
        upstreams[case.tier].set_default(case.fault)
    return matrix_settings(local_url, frontier_url)


def run(graph: Any, mode: str, setup: RouterSetup) -> Any:
    payload = {"messages": [("user", PROMPT)]}
    if mode == "invoke":
        return graph.invoke(payload)

    async def answer() -> Any:
        try:
            return await graph.ainvoke(payload)
        finally:
            await setup.aclose()  # the loop ends here: close its pooled connections

    return asyncio.run(answer())


@pytest.mark.parametrize("mode", ["invoke", "ainvoke", "ainvoke-aiohttp"])
@pytest.mark.parametrize("case", MATRIX, ids=lambda c: f"{c.tier}-{c.fault}")
def test_fault_matrix(fresh: dict[str, FaultyUpstream], case: FaultCase, mode: str) -> None:
    settings = arrange(fresh, case)
    if mode == "ainvoke-aiohttp":  # both tiers' calls go through aiohttp, as in serve
        settings = settings.model_copy(update={"async_http_client": "aiohttp"})
    setup = RouterSetup.build(settings, context_for(case.tier))
    graph = build_router(setup=setup)

    started = time.monotonic()
    state = run(graph, mode, setup)
    elapsed = time.monotonic() - started

    assert state["answered_by"] == case.answered_by
    assert [(u["tier"], u["attempts"]) for u in state["usage"]] == list(case.calls)
    assert (case.flag in state["flags"]) if case.flag else state["flags"] == []
    assert state["messages"][-1].content == fresh[case.answered_by].reply
    faulted = next(u for u in state["usage"] if u["tier"] == case.tier)
    if (case.fault, case.tier) == ("empty", "local"):
        assert faulted["error"] is None and "empty answer" in state["escalation_reason"]
    elif case.fault != "slow_first_byte":
        assert faulted["error"] and len(faulted["attempt_errors"]) == faulted["attempts"]
    # Counted at the upstreams: every attempt reached its server, nothing else did.
    for tier, upstream in fresh.items():
        reached = 0 if (tier == case.tier and case.fault == "refused") else None
        sent = sum(u["attempts"] for u in state["usage"] if u["tier"] == tier)
        assert len(upstream.calls) == (reached if reached is not None else sent), tier
    assert attempts_made(state["usage"]) <= request_attempt_bound(settings)
    assert elapsed < wall_time_bound(settings)
    if case.fault == "rate_limited" and case.tier == "frontier":
        assert elapsed >= 2 * RETRY_AFTER_S  # both waits honoured Retry-After


@pytest.mark.parametrize("fault", ["server_error", "malformed_json", "empty", "hang"])
def test_strict_policy_turns_a_failed_frontier_into_an_error(
    fresh: dict[str, FaultyUpstream], fault: str
) -> None:
    fresh["frontier"].set_default(fault)
    settings = matrix_settings(fresh["local"].url, fresh["frontier"].openai_url)
    graph = build_router(settings, context_for("frontier", strict=True))

    started = time.monotonic()
    with pytest.raises(NoAnswerError, match=r"the frontier tier \(openai:m\) failed"):
        graph.invoke({"messages": [("user", PROMPT)]})
    assert time.monotonic() - started < wall_time_bound(settings)
    assert len(fresh["local"].calls) == 0


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
def test_both_tiers_down_is_a_clear_error_within_the_bounds(
    fresh: dict[str, FaultyUpstream], mode: str
) -> None:
    fresh["local"].set_default("unavailable")
    fresh["frontier"].set_default("server_error")
    settings = matrix_settings(fresh["local"].url, fresh["frontier"].openai_url)
    setup = RouterSetup.build(settings, context_for("local"))
    graph = build_router(setup=setup)

    started = time.monotonic()
    with pytest.raises(NoAnswerError, match="no tier could answer"):
        run(graph, mode, setup)
    assert time.monotonic() - started < wall_time_bound(settings)
    sent = len(fresh["local"].calls) + len(fresh["frontier"].calls)
    assert sent == request_attempt_bound(settings) == 2 + 3


def test_cooldown_diverts_traffic_and_the_endpoint_is_probed_again(
    fresh: dict[str, FaultyUpstream],
) -> None:
    fresh["frontier"].set_default("unavailable")
    settings = matrix_settings(
        fresh["local"].url,
        fresh["frontier"].openai_url,
        breaker_failure_threshold=3,
        breaker_cooldown_s=1.5,
    )
    graph = build_router(settings, context_for("frontier"))

    first = graph.invoke({"messages": [("user", PROMPT)]})
    assert [(u["tier"], u["attempts"]) for u in first["usage"]] == [("frontier", 3), ("local", 1)]
    second = graph.invoke({"messages": [("user", PROMPT)]})
    assert "endpoint_cooldown" in second["flags"] and second["answered_by"] == "local"
    assert second["decision"]["diverted_to"] == "local"
    assert len(fresh["frontier"].calls) == 3  # the second request sent the frontier nothing

    fresh["frontier"].set_default("ok")
    time.sleep(1.6)  # let the cooldown pass: the next request probes the endpoint
    third = graph.invoke({"messages": [("user", PROMPT)]})
    assert third["answered_by"] == "frontier" and "endpoint_cooldown" not in third["flags"]
    assert len(fresh["frontier"].calls) == 4


def markdown_table() -> str:
    rows = [
        "| fault | faulted tier | answered by | calls (tier × attempts) | flag | why |",
        "|---|---|---|---|---|---|",
    ]
    for case in MATRIX:
        calls = ", ".join(f"{tier} × {attempts}" for tier, attempts in case.calls)
        rows.append(
            f"| {case.fault} | {case.tier} | {case.answered_by} | {calls} | "
            f"{case.flag or ''} | {case.why} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
