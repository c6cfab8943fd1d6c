"""The workflow graph on real local inference: each step routed on its own, priced, streamed."""

from __future__ import annotations

import asyncio

import pytest

from asymroute.context import RouterContext
from asymroute.graphs.router import build_router
from asymroute.graphs.workflow import build_workflow
from asymroute.settings import Settings
from tests.integration.conftest import FRONTIER_ALIAS, FRONTIER_PRICE, OLLAMA_MODEL

LIVE = RouterContext(
    local_model=f"ollama:{OLLAMA_MODEL}",
    frontier_model=f"openai:{FRONTIER_ALIAS}",
    max_output_tokens=48,
    classifier="heuristic",  # the scores below are the heuristic's
    validate=False,  # SmolLM2 rambles past any small cap; routing, not validation, is under test
)
COMPLEX_STEP = (
    "Analyze and debug this function, then refactor it:\n```python\ndef f(a): return a\n```"
)
SIMPLE_STEPS = ["What is 2+3?", "What is 4+4?"]


def test_mixed_steps_are_routed_one_by_one_and_priced(settings: Settings) -> None:
    steps = ["What is 2+3?", COMPLEX_STEP, "What is 4+4?"]
    state = build_workflow(build_router(settings, LIVE)).invoke(
        {"task": "Check two sums.", "steps": steps}
    )

    results = state["step_results"]
    assert [(r["routed"], r["tier"]) for r in results] == [
        ("local", "local"),
        ("frontier", "frontier"),
        ("local", "local"),
    ]
    assert [r["model"] for r in results] == [
        f"ollama:{OLLAMA_MODEL}",
        f"openai:{FRONTIER_ALIAS}",
        f"ollama:{OLLAMA_MODEL}",
    ]
    [frontier_usage] = results[1]["usage"]
    expected = FRONTIER_PRICE.cost(frontier_usage["input_tokens"], frontier_usage["output_tokens"])
    assert results[1]["cost_usd"] == pytest.approx(expected) and expected > 0
    assert results[0]["cost_usd"] == results[2]["cost_usd"] == 0.0
    assert all(r["answer"].strip() for r in results)
    assert state["synthesis"]["tier"] == "local"  # routed like the task, a simple one
    assert state["totals"]["calls"] == {"local": 3, "frontier": 1}
    assert state["totals"]["cost_usd"] == pytest.approx(expected)


def test_all_simple_steps_never_touch_the_frontier(settings: Settings) -> None:
    state = build_workflow(build_router(settings, LIVE)).invoke(
        {"task": "Add up.", "steps": SIMPLE_STEPS}
    )

    assert {r["tier"] for r in state["step_results"]} == {"local"}
    assert state["totals"]["calls"]["frontier"] == 0
    assert state["totals"]["cost_usd"] == 0.0
    assert all(r["answer"].strip() for r in state["step_results"])


def test_generated_plan_and_async_streaming(settings: Settings) -> None:
    graph = build_workflow(build_router(settings, LIVE))

    async def run() -> list[dict]:
        events = []
        async for event in graph.astream(
            {"task": "What is 2+3?", "max_steps": 3}, stream_mode="custom"
        ):
            events.append(event)
        return events

    events = asyncio.run(run())
    kinds = [e["workflow"] for e in events]
    assert kinds[0] == "plan" and kinds[-1] == "done"
    plan = events[0]
    assert plan["record"]["tier"] == "local" and 1 <= len(plan["steps"]) <= 3
    assert kinds.count("step") == len(plan["steps"])
    assert events[-1]["totals"]["calls"]["local"] >= 2
