"""The workflow graph on scripted fake models: per-step routing, context, streaming, resume."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import SystemMessage
from langgraph.checkpoint.memory import InMemorySaver

from asymroute.context import RouterContext
from asymroute.errors import InvalidRequestError
from asymroute.graphs.router import build_router
from asymroute.graphs.workflow import build_workflow
from asymroute.pricing import ModelPrice
from asymroute.settings import Settings
from asymroute.workflow.steps import parse_plan
from tests.support.fake_provider import FakeProvider

SIMPLE_STEPS = ["What is 2+3?", "What is 4+4?", "Name a colour."]
COMPLEX_STEP = "Analyze and debug the tokenizer, then refactor it to be thread-safe."
FRONTIER_PRICE = ModelPrice(input_per_million=1.0, output_per_million=2.0)  # fake usage: $0.002


def priced_settings() -> Settings:
    return Settings(_env_file=None, price_overrides={"fake:frontier": FRONTIER_PRICE})  # type: ignore[call-arg]


@pytest.fixture
def make_workflow(fake_provider: FakeProvider) -> Callable[..., Any]:
    def build(checkpointer: Any = None, **context: Any) -> Any:
        defaults = RouterContext(
            local_model="fake:good",
            frontier_model="fake:frontier",
            classifier="heuristic",
            **context,
        )
        return build_workflow(build_router(priced_settings(), defaults), checkpointer)

    return build


def routed_prompts(provider: FakeProvider) -> list[tuple[str, str]]:
    """(model, user prompt) of every model call, in order."""
    return [(label, str(messages[-1].content)) for label, messages in provider.seen]


def test_each_step_is_routed_on_its_own(make_workflow: Any, fake_provider: FakeProvider) -> None:
    steps = ["What is 2+3?", COMPLEX_STEP, "Name a colour."]
    state = make_workflow().invoke({"task": "Tidy the tokenizer.", "steps": steps})

    results = state["step_results"]
    assert [r["index"] for r in results] == [1, 2, 3]
    assert [r["text"] for r in results] == steps
    assert [(r["routed"], r["tier"], r["model"]) for r in results] == [
        ("local", "local", "fake:good"),
        ("frontier", "frontier", "fake:frontier"),
        ("local", "local", "fake:good"),
    ]
    assert results[1]["score"] >= results[1]["threshold"] > results[0]["score"]
    assert any("demanding task" in reason for reason in results[1]["reasons"])
    assert [r["escalated"] for r in results] == [False, False, False]
    assert [r["cost_usd"] for r in results] == [0.0, pytest.approx(0.002), 0.0]
    assert state["plan"] is None  # the caller gave the steps
    assert state["synthesis"]["kind"] == "synthesis" and state["synthesis"]["tier"] == "local"
    assert state["answer"] == state["synthesis"]["answer"]
    assert state["totals"]["calls"] == {"local": 3, "frontier": 1}
    assert state["totals"]["cost_usd"] == pytest.approx(0.002)
    assert state["thread_cost_usd"] == pytest.approx(0.002)
    assert [model for model, _ in routed_prompts(fake_provider)].count("frontier") == 1


def test_a_workflow_of_simple_steps_never_touches_the_frontier(
    make_workflow: Any, fake_provider: FakeProvider
) -> None:
    state = make_workflow().invoke({"task": "Answer three questions.", "steps": SIMPLE_STEPS})

    assert {r["tier"] for r in state["step_results"]} == {"local"}
    assert state["totals"]["calls"] == {"local": 4, "frontier": 0}
    assert state["totals"]["cost_usd"] == 0.0
    assert "frontier" not in {model for model, _ in routed_prompts(fake_provider)}


def test_later_steps_see_earlier_results_but_are_scored_on_their_own_text(
    make_workflow: Any, fake_provider: FakeProvider
) -> None:
    make_workflow().invoke({"task": "Answer.", "steps": SIMPLE_STEPS})

    step_calls = [messages for _, messages in fake_provider.seen][:3]
    assert [str(m[-1].content) for m in step_calls] == SIMPLE_STEPS
    assert isinstance(step_calls[2][0], SystemMessage)
    context = str(step_calls[2][0].content)
    assert "1. What is 2+3?" in context and "2. What is 4+4?" in context
    assert context.count(FakeProvider.text("good")) == 2
    synthesis = fake_provider.seen[-1][1]
    assert str(synthesis[-1].content) == "Answer."  # routed like the task itself
    assert "3. Name a colour." in str(synthesis[0].content)


def test_generated_plan_is_routed_and_counted(
    make_workflow: Any, fake_provider: FakeProvider
) -> None:
    state = make_workflow().invoke({"task": "What is 2+3?"})

    assert state["plan"]["kind"] == "plan" and state["plan"]["tier"] == "local"
    assert state["steps"] == [FakeProvider.text("good")]  # one line: a one-step plan
    assert state["synthesis"] is None  # one step's answer is the answer
    assert state["answer"] == state["step_results"][0]["answer"]
    assert state["totals"]["calls"] == {"local": 2, "frontier": 0}
    planner = fake_provider.seen[0][1]
    assert "numbered list" in str(planner[0].content) and planner[-1].content == "What is 2+3?"


def test_plan_parsing() -> None:
    text = "Here is the plan:\n1. Read the file\n2) Count words\n- Print the total\n\n"
    assert parse_plan(text, "task", 5) == ["Read the file", "Count words", "Print the total"]
    assert parse_plan(text, "task", 2) == ["Read the file", "Count words"]
    assert parse_plan("Just do it.\nThen stop.", "task", 5) == ["Just do it.", "Then stop."]
    assert parse_plan("   \n", "the task", 5) == ["the task"]


def test_progress_streams_plan_each_step_and_totals(make_workflow: Any) -> None:
    events = list(
        make_workflow().stream(
            {"task": "Answer.", "steps": SIMPLE_STEPS}, stream_mode=["custom", "updates"]
        )
    )

    custom = [payload["workflow"] for mode, payload in events if mode == "custom"]
    assert custom == ["plan", "step", "step", "step", "done"]
    updates = [next(iter(payload)) for mode, payload in events if mode == "updates"]
    assert updates == ["plan_steps", "run_step", "run_step", "run_step", "synthesize"]
    step_events = [p for m, p in events if m == "custom" and p["workflow"] == "step"]
    assert [(e["record"]["index"], e["of"]) for e in step_events] == [(1, 3), (2, 3), (3, 3)]


def test_ainvoke_gives_the_same_routes_as_invoke(make_workflow: Any) -> None:
    request = {"task": "Answer.", "steps": ["What is 2+3?", COMPLEX_STEP]}
    sync_state = make_workflow().invoke(request)
    async_state = asyncio.run(make_workflow().ainvoke(request))

    def routes(state: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(r["tier"], r["model"], r["score"]) for r in state["step_results"]]

    assert routes(async_state) == routes(sync_state)
    assert async_state["totals"] == sync_state["totals"]


def test_resume_after_an_interruption_does_not_repeat_completed_steps(
    make_workflow: Any, fake_provider: FakeProvider
) -> None:
    graph = make_workflow(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "w1"}}
    steps = [COMPLEX_STEP, "What is 2+3?", "What is 4+4?", "Name a colour."]
    for _update in graph.stream(
        {"task": "Answer.", "steps": steps}, config, stream_mode="updates", durability="sync"
    ):
        if len(fake_provider.seen) == 2:  # steps 1 and 2 done: the process "dies" here
            break
    assert graph.get_state(config).next == ("run_step",)

    state = graph.invoke(None, config)

    prompts = [prompt for _, prompt in routed_prompts(fake_provider)]
    assert prompts == [*steps, "Answer."]  # every step once, then the synthesis
    assert [r["index"] for r in state["step_results"]] == [1, 2, 3, 4]
    assert state["totals"]["calls"] == {"local": 4, "frontier": 1}
    assert state["thread_cost_usd"] == pytest.approx(0.002)


def test_thread_cost_accumulates_across_runs_on_one_thread(make_workflow: Any) -> None:
    graph = make_workflow(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "w2"}}
    first = graph.invoke({"task": "One.", "steps": [COMPLEX_STEP]}, config)
    second = graph.invoke({"task": "Two.", "steps": [COMPLEX_STEP, "What is 2+3?"]}, config)

    assert first["totals"]["cost_usd"] == pytest.approx(0.002)
    assert second["totals"]["cost_usd"] == pytest.approx(0.002)  # this run only
    assert [r["index"] for r in second["step_results"]] == [1, 2]
    assert second["thread_cost_usd"] == pytest.approx(0.004)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"task": "  "}, "non-empty `task`"),
        ({"task": "x", "steps": []}, "non-empty list"),
        ({"task": "x", "steps": ["ok", ""]}, "step 2 must be a non-empty string"),
        ({"task": "x", "max_steps": 0}, "max_steps must be within"),
    ],
)
def test_bad_workflow_input_is_refused_before_any_call(
    make_workflow: Any, fake_provider: FakeProvider, request_: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        make_workflow().invoke(request_)
    assert fake_provider.seen == []
