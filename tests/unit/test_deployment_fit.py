"""Deployments that do not fit a request (context window, vision, JSON mode) are skipped with
a named reason; a tier none of whose deployments fits is unable, as for a capability."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from asymroute.budget import estimate_input_tokens
from asymroute.context import RouterContext
from asymroute.deployments import (
    Capabilities,
    Deployment,
    RequestNeeds,
    call_order,
    tier_unfit,
    unfit,
)
from asymroute.errors import UnsupportedByTierError
from asymroute.graphs.router import build_router
from asymroute.guards import FRONTIER_SKIPPED
from asymroute.planning import RouterSetup
from asymroute.providers import ModelSpec
from asymroute.settings import Settings
from asymroute.tier_route import request_needs
from tests.support.fake_provider import FakeProvider

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
JSON = {"type": "json_object"}


def dep(name: str, window: int | None = None, **caps: bool) -> Deployment:
    return Deployment(
        id=name,
        spec=ModelSpec("fake", name),
        context_window=window,
        capabilities=Capabilities(**caps),
        listed=True,
    )


@pytest.mark.parametrize(
    ("deployment", "needs", "reason"),
    [
        (dep("a", window=100), RequestNeeds(tokens=101), "context_window_too_small"),
        (dep("a", window=100), RequestNeeds(tokens=100), None),
        (dep("a", vision=False), RequestNeeds(images=True), "cannot_read_images"),
        (dep("a", vision=False), RequestNeeds(), None),
        (dep("a"), RequestNeeds(images=True), None),  # not stated: the provider's knowledge
        (dep("a", json_mode=False), RequestNeeds(json_mode=True), "no_json_mode"),
        (dep("a", json_mode=True), RequestNeeds(json_mode=True), None),
        (dep("a"), RequestNeeds(tokens=10**9), None),  # no window stated
    ],
)
def test_a_deployment_that_does_not_fit_says_why(
    deployment: Deployment, needs: RequestNeeds, reason: str | None
) -> None:
    assert unfit(deployment, needs) == reason


def test_unfit_deployments_are_skipped_and_the_tier_falls_to_the_next() -> None:
    small, blind, big = dep("small", window=50), dep("blind", vision=False), dep("big", 10_000)
    tier = ((small, blind), (big,))
    needs = RequestNeeds(tokens=200, images=True)
    picked = call_order(tier, {}, lambda d: False, random.Random(0), needs)
    assert [(c.deployment.id, c.skipped) for c in picked] == [
        ("big", None), ("small", "context_window_too_small"), ("blind", "cannot_read_images"),
    ]  # fmt: skip
    assert tier_unfit(tier, needs) == {}
    assert tier_unfit(((small, blind),), needs) == {
        "small": "context_window_too_small", "blind": "cannot_read_images",
    }  # fmt: skip


def test_request_needs_count_the_prompt_its_tools_and_images_and_the_output() -> None:
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {}}}
    context = RouterContext(max_output_tokens=300, tools=[tool], response_format=JSON)
    messages = [HumanMessage([{"type": "text", "text": "What is this?"}, IMAGE])]
    needs = request_needs(context, messages)
    assert needs.tokens == estimate_input_tokens(messages, [tool]) + 300
    assert needs.tokens > 1445 + 300  # the image counts at its fixed estimate
    assert needs.images and needs.json_mode
    plain = request_needs(RouterContext(), [HumanMessage("hi")])
    assert not plain.images and not plain.json_mode


LIST = """
deployments:
  - {id: small, provider: fake, model: frontier, context_window: 60}
  - {id: big, provider: fake, model: frontier, context_window: 100000}
  - {id: nojson, provider: fake, model: frontier, capabilities: {json_mode: false}}
  - {id: tiny-local, provider: fake, model: good, context_window: 60}
tiers:
  frontier: [small, big]
"""
COMPLEX = "Analyze the trade-offs of consensus algorithms and prove their safety properties."


def router(tmp_path: Path, text: str = LIST, **context: Any) -> Any:
    path = tmp_path / "models.yaml"
    path.write_text(text)
    settings = Settings(_env_file=None, model_list_path=path)  # type: ignore[call-arg]
    context = {"local_model": "fake:good", "threshold": 0.0, **context}
    setup = RouterSetup.build(settings, RouterContext(**context))
    return build_router(setup=setup)


def frontier_record(state: Any) -> Any:
    return next(r for r in state["usage"] if r["tier"] == "frontier")


def test_a_too_small_context_window_falls_to_the_next_deployment(
    tmp_path: Path, fake_provider: FakeProvider
) -> None:
    # ~20 prompt tokens + 512 output tokens: more than small's 60.
    state = router(tmp_path).invoke({"messages": [("user", COMPLEX)]})
    record = frontier_record(state)
    assert state["answered_by"] == "frontier" and record["deployment"] == "big"
    assert record["skipped"] == {"small": "context_window_too_small"}
    assert record["attempts"] == 1  # small was never called
    fits = router(tmp_path, max_output_tokens=20).invoke({"messages": [("user", COMPLEX)]})
    assert frontier_record(fits)["deployment"] in {"small", "big"}
    assert "skipped" not in frontier_record(fits)


def test_a_tier_with_no_fitting_deployment_is_skipped_like_an_unable_tier(
    tmp_path: Path, fake_provider: FakeProvider
) -> None:
    text = LIST.replace("frontier: [small, big]", "frontier: [small, nojson]")
    graph = router(tmp_path, text, response_format=JSON)
    state = graph.invoke({"messages": [("user", COMPLEX)]})
    assert state["answered_by"] == "local" and FRONTIER_SKIPPED in state["flags"]
    assert {r["tier"] for r in state["usage"]} == {"local"}  # the frontier was never called
    assert (
        "deployments (small: context_window_too_small, nojson: no_json_mode)"
        in (state["decision"]["reasons"][0])
    )


def test_no_tier_that_fits_is_a_400_naming_each_deployment(
    tmp_path: Path, fake_provider: FakeProvider
) -> None:
    text = LIST.replace("frontier: [small, big]", "frontier: [small]")
    with pytest.raises(UnsupportedByTierError) as caught:
        router(tmp_path, text, local_model="tiny-local").invoke({"messages": [("user", COMPLEX)]})
    assert caught.value.param == "messages"
    message = str(caught.value)
    assert "local tier (fake:good) cannot honour deployments (tiny-local: context_window" in message
    assert "frontier tier (fake:frontier) cannot honour deployments (small: " in message
    assert "lower max_tokens" in message
