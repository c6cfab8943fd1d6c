"""Picking a deployment inside a tier (least in-flight, weights, skips) and falling back to the
next one, in the pure logic and through the router graph with the fake provider."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage

from asymroute.context import RouterContext
from asymroute.deployments import Deployment, InFlight, call_order
from asymroute.graphs.router import build_router
from asymroute.planning import RouterSetup
from asymroute.providers import PROVIDERS, ModelSpec
from asymroute.settings import Settings
from tests.support.fake_provider import FakeProvider


def dep(name: str, weight: float = 1.0, limit: int | None = None) -> Deployment:
    return Deployment(
        id=name, spec=ModelSpec("fake", name), weight=weight, max_concurrency=limit, listed=True
    )


A, B, C = dep("a"), dep("b"), dep("c")


def order(
    tier: Any, in_flight: dict[str, int] | None = None, cooling: frozenset[str] = frozenset()
) -> Any:
    picked = call_order(tier, in_flight or {}, lambda d: d.id in cooling, random.Random(0))
    return [(c.deployment.id, c.skipped) for c in picked]


def test_groups_are_tried_in_order_and_the_least_loaded_first_within_one() -> None:
    tier = ((A, B), (C,))
    assert order(tier, {"a": 3, "b": 1}) == [("b", None), ("a", None), ("c", None)]
    assert order(tier, {"a": 0, "b": 2})[0] == ("a", None)


def test_cooling_and_full_deployments_are_skipped_with_their_reason() -> None:
    tier = ((A, dep("b", limit=2)), (C,))
    assert order(tier, {"b": 2}, cooling={"a"}) == [
        ("c", None), ("a", "cooling_down"), ("b", "at_concurrency_limit"),
    ]  # fmt: skip


def test_weights_share_idle_equal_deployments() -> None:
    heavy, light = dep("heavy", weight=3), dep("light", weight=1)
    rng = random.Random(7)
    firsts = Counter(
        call_order(((heavy, light),), {}, lambda d: False, rng)[0].deployment.id
        for _ in range(4000)
    )
    # Idle: load (0 + 1) / weight is lower for the heavier one, which takes every call...
    assert firsts["heavy"] == 4000
    # ...until it carries its share of the calls in flight: 3 to 1.
    assert order(((heavy, light),), {"heavy": 3, "light": 0})[0][0] == "light"
    tied = Counter(
        call_order(((A, dep("b2")),), {}, lambda d: False, rng)[0].deployment.id
        for _ in range(4000)
    )
    assert 1700 < tied["a"] < 2300  # equals with equal weight: an even draw


def test_in_flight_counts_refuse_past_the_limit_and_release() -> None:
    counts, capped = InFlight(), dep("x", limit=1)
    assert counts.try_acquire(capped) and not counts.try_acquire(capped)
    counts.release(capped)
    assert counts.try_acquire(capped) and counts.snapshot() == {"x": 1}


LIST = """
deployments:
  - {id: first, provider: fake, model: down}
  - {id: second, provider: fake, model: frontier,
     price: {input_per_million: 1, output_per_million: 2}}
  - {id: capped, provider: fake, model: frontier, max_concurrency: 1}
tiers:
  frontier: [first, second]
"""
COMPLEX = "Analyze the trade-offs of consensus algorithms and prove their safety properties."


def router_setup(tmp_path: Path, text: str = LIST, **context: Any) -> RouterSetup:
    path = tmp_path / "models.yaml"
    path.write_text(text)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, model_list_path=path, frontier_max_retries=0, breaker_failure_threshold=1
    )
    return RouterSetup.build(
        settings, RouterContext(local_model="fake:good", threshold=0.0, **context)
    )


def router(tmp_path: Path, text: str = LIST, **context: Any) -> Any:
    return build_router(setup=router_setup(tmp_path, text, **context))


def test_a_failing_deployment_falls_back_to_the_next_before_crossing_tiers(
    tmp_path: Path, fake_provider: FakeProvider
) -> None:
    graph = router(tmp_path)
    state = graph.invoke({"messages": [("user", COMPLEX)]})
    assert state["answered_by"] == "frontier"
    (record,) = [r for r in state["usage"] if r["tier"] == "frontier"]
    assert record["deployment"] == "second" and record["fallback_from"] == ["first"]
    assert record["attempts"] == 2 and record["error"] is None
    assert record["cost_usd"] == pytest.approx(0.002)  # the deployment's own price
    assert state["answer_model"] == "fake:frontier"
    # The first deployment's breaker opened (threshold 1): the next request skips it.
    again = graph.invoke({"messages": [("user", COMPLEX)]})
    (record,) = [r for r in again["usage"] if r["tier"] == "frontier"]
    assert record["skipped"] == {"first": "cooling_down"} and record["attempts"] == 1
    assert "frontier" not in again["decision"].get("cooling_down", [])


def test_a_tier_whose_every_deployment_fails_still_falls_back_to_local(
    tmp_path: Path, fake_provider: FakeProvider
) -> None:
    text = LIST.replace("frontier: [first, second]", "frontier: [first]")
    state = router(tmp_path, text).invoke({"messages": [("user", COMPLEX)]})
    assert state["answered_by"] == "local" and "frontier_failed" in state["flags"]


def test_a_deployment_at_its_limit_is_skipped_not_waited_for(
    tmp_path: Path, fake_provider: FakeProvider
) -> None:
    setup = router_setup(tmp_path, frontier_model="capped")
    graph = build_router(setup=setup)
    capped = Deployment(id="capped", spec=ModelSpec("fake", "frontier"), max_concurrency=1)
    assert setup.in_flight.try_acquire(capped)  # another request holds its one slot
    state = graph.invoke({"messages": [("user", COMPLEX)]})
    assert state["answered_by"] == "local"
    frontier = next(r for r in state["usage"] if r["tier"] == "frontier")
    assert frontier["skipped"] == {"capped": "at_concurrency_limit"}
    assert frontier["attempts"] == 0
    assert frontier["error"].startswith("NoDeploymentAvailable: every deployment of the frontier")


def test_a_budget_reserves_for_the_dearest_deployment_of_the_tier(
    tmp_path: Path, fake_provider: FakeProvider
) -> None:
    from asymroute.budget import most_input_tokens
    from asymroute.gateway.metering import worst_case_cost
    from asymroute.tier_call import dearest, tier_prices

    text = LIST.replace("model: down}", "model: down, price: {input_per_million: 10, "
                        "output_per_million: 20}}")  # fmt: skip
    setup = router_setup(tmp_path, text)
    plan = setup.plan(None)
    prices = tier_prices(setup, plan, "frontier")
    assert [p.input_per_million if p else None for p in prices] == [10.0, 1.0]
    assert dearest(prices) == prices[0]
    messages = [HumanMessage("x" * 100)]
    tokens = most_input_tokens(messages, plan.context.tools)
    # One call per tier at most: the local tier is free; the frontier at its dearest.
    assert worst_case_cost(setup, plan, messages, 10) == pytest.approx(prices[0].cost(tokens, 10))


class StatusError(Exception):
    def __init__(self, status: int, text: str = "") -> None:
        super().__init__(text or f"status {status}")
        self.status_code = status


@pytest.mark.parametrize(
    ("error", "recorded", "held", "moves_on"),
    [
        (StatusError(500), "APIStatusError: 500", False, True),
        (StatusError(401), "AuthenticationError: bad key", False, True),  # that key's fault
        (StatusError(404), "NotFoundError: no such model", False, True),
        (ConnectionError("refused"), "ConnectionError: refused", False, True),
        (None, "EndpointCoolingDown: ...", False, True),  # nothing was sent
        (StatusError(400), "BadRequestError: invalid messages", False, False),
        (StatusError(400), "BadRequestError: maximum context length is 8192", False, True),
        (StatusError(422), "UnprocessableEntityError", False, False),
        (None, "PrivacyHold: ...", True, False),
    ],
)
def test_which_failures_move_on_to_the_next_deployment(
    error: BaseException | None, recorded: str, held: bool, moves_on: bool
) -> None:
    from asymroute.effects import ModelCall
    from asymroute.tier_route import falls_back

    usage: Any = {"error": recorded}
    assert falls_back(ModelCall(message=None, usage=usage), error, held) is moves_on


class GatedProvider:
    """`gated:any`: answers under `ainvoke` only once the test opens the gate."""

    name, example = "gated", "gated:any"

    def __init__(self) -> None:
        self.gate: asyncio.Event | None = None
        self.waiting = 0

    def is_configured(self, settings: Settings) -> bool:
        return True

    def create(self, model: str, settings: Settings, options: Any) -> Any:
        provider = self

        class Gated(GenericFakeChatModel):
            async def _agenerate(self, *args: Any, **kwargs: Any) -> Any:
                provider.waiting += 1
                assert provider.gate is not None
                await provider.gate.wait()
                return self._generate(*args, **kwargs)

        return Gated(messages=iter([AIMessage("Gated answer.")] * 10))


def test_under_concurrent_requests_a_full_deployment_is_skipped_while_another_waits(
    tmp_path: Path, fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated = GatedProvider()
    monkeypatch.setitem(PROVIDERS, "gated", gated)
    text = (
        "deployments:\n"
        "  - {id: slow, provider: gated, model: any, max_concurrency: 1}\n"
        "  - {id: spare, provider: fake, model: frontier}\n"
        "tiers: {frontier: [slow, spare]}\n"
    )
    graph = router(tmp_path, text)

    async def two_requests() -> tuple[Any, Any]:
        gated.gate = asyncio.Event()
        first = asyncio.create_task(graph.ainvoke({"messages": [("user", COMPLEX)]}))
        while not gated.waiting:  # the first request holds the slow deployment's one slot
            await asyncio.sleep(0.01)
        # Were it queued behind the first, it would wait for the gate: fail instead of hanging.
        second = await asyncio.wait_for(graph.ainvoke({"messages": [("user", COMPLEX)]}), 30)
        gated.gate.set()
        return await first, second

    first, second = asyncio.run(two_requests())
    (held,) = [r for r in first["usage"] if r["tier"] == "frontier"]
    (skipped,) = [r for r in second["usage"] if r["tier"] == "frontier"]
    assert held["deployment"] == "slow" and first["messages"][-1].content == "Gated answer."
    assert skipped["deployment"] == "spare"
    assert skipped["skipped"] == {"slow": "at_concurrency_limit"}
    assert gated.waiting == 1  # the second request never waited on the slow deployment
