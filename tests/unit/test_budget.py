"""Budgets: estimate the next frontier call, then downgrade or refuse when it would exceed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.checkpoint.memory import InMemorySaver

from asymroute.budget import check_frontier_call, estimate_call_cost, estimate_input_tokens
from asymroute.context import RouterContext
from asymroute.errors import BudgetExceededError, ConfigurationError
from asymroute.graphs.chat import build_chat
from asymroute.graphs.router import build_router
from asymroute.graphs.workflow import build_workflow
from asymroute.pricing import ModelPrice
from asymroute.records import BUDGET_EXHAUSTED
from asymroute.settings import Settings
from tests.support.fake_provider import FakeProvider

COMPLEX = "Analyze and debug this parser, then refactor it to be thread-safe."
PRICE = ModelPrice(input_per_million=1.0, output_per_million=2.0)
CALL_COST = 0.002  # the fake frontier's usage: 1000 tokens in, 500 out


def settings() -> Settings:
    return Settings(_env_file=None, price_overrides={"fake:frontier": PRICE})  # type: ignore[call-arg]


def context(**fields: Any) -> RouterContext:
    return RouterContext(
        **{
            "local_model": "fake:good",
            "frontier_model": "fake:frontier",
            "classifier": "heuristic",
            **fields,
        }
    )


def test_estimate_is_prompt_tokens_in_and_max_output_tokens_out() -> None:
    messages = [SystemMessage("x" * 40), HumanMessage("y" * 8)]
    assert estimate_input_tokens(messages) == 10 + 2 + 2 * 4
    assert estimate_call_cost(PRICE, messages, 100) == pytest.approx((20 * 1 + 100 * 2) / 1e6)
    assert estimate_call_cost(None, messages, 100) == 0.0  # unpriced: recorded at 0 as well


def test_check_names_the_budget_spend_and_estimate() -> None:
    ctx = RouterContext(budget_per_thread_usd=1.0, budget_per_run_usd=0.5)
    assert check_frontier_call(ctx, 0.2, 0.2, 0.3).allowed
    run = check_frontier_call(ctx, 0.2, 0.3, 0.3)
    assert not run.allowed and "run spend from $0.300000 past its budget of $0.500000" in (
        run.reason or ""
    )
    thread = check_frontier_call(ctx, 0.8, 0.0, 0.3)
    assert not thread.allowed and "thread" in (thread.reason or "")
    assert check_frontier_call(RouterContext(), 1e9, 1e9, 1e9).allowed  # no budget set


@pytest.mark.parametrize(
    "fields",
    [{"budget_per_run_usd": -1}, {"budget_per_thread_usd": "5"}, {"budget_policy": "ask"}],
)
def test_bad_budget_fields_are_configuration_errors(fields: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        RouterContext(**fields)


def test_direct_frontier_route_downgrades_to_local_when_over_budget(
    fake_provider: FakeProvider,
) -> None:
    router = build_router(settings(), context(budget_per_run_usd=0.0001))
    state = router.invoke({"messages": [("user", COMPLEX)]})

    assert state["decision"]["tier"] == "frontier"
    assert state["answered_by"] == "local" and state["answer_model"] == "fake:good"
    assert BUDGET_EXHAUSTED in state["flags"]
    assert [u["tier"] for u in state["usage"]] == ["local"]
    assert state["total_cost_usd"] == 0.0
    assert "frontier" not in fake_provider.created_models


def test_escalation_over_budget_keeps_the_rejected_local_answer(
    fake_provider: FakeProvider,
) -> None:
    router = build_router(settings(), context(local_model="fake:truncated"))
    state = router.invoke(
        {"messages": [("user", "What is 2+3?")], "thread_spent_usd": 0.999},
        context=context(local_model="fake:truncated", budget_per_thread_usd=1.0),
    )

    assert state["escalated"] is True
    assert state["answered_by"] == "local" and BUDGET_EXHAUSTED in state["flags"]
    assert state["messages"][-1].content == FakeProvider.text("truncated")
    assert [u["tier"] for u in state["usage"]] == ["local"]


def test_router_on_a_checkpointed_thread_keeps_its_own_thread_spend(
    fake_provider: FakeProvider,
) -> None:
    """No caller passes thread_spent_usd: the router's own record of the thread counts."""
    budget = context(budget_per_thread_usd=2 * CALL_COST + 0.0005)
    router = build_router(settings(), budget).copy(update={"checkpointer": InMemorySaver()})
    thread = {"configurable": {"thread_id": "t1"}}

    first, second, third = (
        router.invoke({"messages": [("user", COMPLEX)]}, thread, context=budget) for _ in range(3)
    )

    assert [s["answered_by"] for s in (first, second, third)] == ["frontier", "frontier", "local"]
    assert second["earlier_cost_usd"] == pytest.approx(CALL_COST)
    assert third["earlier_cost_usd"] == pytest.approx(2 * CALL_COST)
    assert BUDGET_EXHAUSTED in third["flags"] and third["total_cost_usd"] == 0.0
    fresh = router.invoke({"messages": [("user", COMPLEX)]}, {"configurable": {"thread_id": "t2"}})
    assert fresh["answered_by"] == "frontier" and fresh["earlier_cost_usd"] == 0.0


def test_refuse_policy_raises_a_clear_error(fake_provider: FakeProvider) -> None:
    router = build_router(settings(), context())
    with pytest.raises(BudgetExceededError, match="budget_policy refuse"):
        router.invoke(
            {"messages": [("user", COMPLEX)]},
            context=context(budget_per_run_usd=0.0001, budget_policy="refuse"),
        )
    assert fake_provider.seen == []


def test_chat_thread_budget_comes_from_recorded_spend(fake_provider: FakeProvider) -> None:
    # Room for one frontier call ($0.002 recorded) but not a second (estimate ~$0.001).
    graph = build_chat(
        build_router(settings(), context(budget_per_thread_usd=0.0025)), InMemorySaver()
    )
    config = {"configurable": {"thread_id": "b1"}}
    first = graph.invoke({"messages": [("user", COMPLEX)]}, config)
    second = graph.invoke({"messages": [("user", "Now analyze the lexer too.")]}, config)

    assert first["turns"][0]["tier"] == "frontier" and first["totals"]["cost_usd"] == CALL_COST
    assert second["turns"][1]["routed"] == "frontier"
    assert second["turns"][1]["tier"] == "local"
    assert BUDGET_EXHAUSTED in second["turns"][1]["flags"]
    assert second["totals"]["cost_usd"] == pytest.approx(CALL_COST)


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
def test_a_refused_chat_turn_leaves_the_thread_as_it_was(
    fake_provider: FakeProvider, mode: str
) -> None:
    graph = build_chat(
        build_router(settings(), context(budget_per_thread_usd=0.0025, budget_policy="refuse")),
        InMemorySaver(),
    )
    config = {"configurable": {"thread_id": f"r-{mode}"}}

    def turn(text: str) -> dict[str, Any]:
        request = {"messages": [("user", text)]}
        if mode == "invoke":
            return graph.invoke(request, config)
        return asyncio.run(graph.ainvoke(request, config))

    first = turn(COMPLEX)
    with pytest.raises(BudgetExceededError, match="budget_policy refuse"):
        turn("Now analyze the lexer too.")
    kept = graph.get_state(config).values
    assert [m.type for m in kept["messages"]] == ["human", "ai"]
    assert kept["messages"] == first["messages"] and kept["totals"] == first["totals"]
    assert kept["failed_turn"]["error"] == "BudgetExceededError"

    third = turn("What is 2+3?")  # a simple turn still fits: answered locally, thread intact
    assert [m.type for m in third["messages"]] == ["human", "ai", "human", "ai"]
    assert [t["tier"] for t in third["turns"]] == ["frontier", "local"]
    assert third["failed_turn"] is None


def test_workflow_run_budget_spans_its_steps(fake_provider: FakeProvider) -> None:
    graph = build_workflow(build_router(settings(), context(budget_per_run_usd=0.0025)))
    steps = [COMPLEX, "Now analyze the lexer and debug it.", "What is 2+3?"]
    state = graph.invoke({"task": "Fix the parser.", "steps": steps})

    assert [(r["routed"], r["tier"]) for r in state["step_results"]] == [
        ("frontier", "frontier"),
        ("frontier", "local"),
        ("local", "local"),
    ]
    assert BUDGET_EXHAUSTED in state["step_results"][1]["flags"]
    assert state["totals"]["cost_usd"] == pytest.approx(CALL_COST)


def test_workflow_refuse_stops_the_run_and_keeps_the_paid_steps(
    fake_provider: FakeProvider,
) -> None:
    graph = build_workflow(
        build_router(settings(), context(budget_per_run_usd=0.0025, budget_policy="refuse")),
        InMemorySaver(),
    )
    config = {"configurable": {"thread_id": "b2"}}
    with pytest.raises(BudgetExceededError, match=r"run spend from \$0.002000"):
        graph.invoke({"task": "Fix.", "steps": [COMPLEX, COMPLEX]}, config)

    saved = graph.get_state(config)
    assert [r["tier"] for r in saved.values["step_results"]] == ["frontier"]
    assert saved.next == ("run_step",)  # resumable with a larger budget


def test_a_call_whose_endpoint_reports_no_usage_is_charged_an_estimate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from asymroute.providers import PROVIDERS
    from tests.support.scripted_models import NO_USAGE, ScriptedProvider

    provider = ScriptedProvider()
    monkeypatch.setitem(PROVIDERS, "scripted", provider)
    provider.script("frontier", NO_USAGE)
    price = ModelPrice(input_per_million=1_000_000.0, output_per_million=1_000_000.0)
    router = build_router(
        Settings(_env_file=None, price_overrides={"scripted:frontier": price}),  # type: ignore[call-arg]
        RouterContext(
            local_model="scripted:local", frontier_model="scripted:frontier", classifier="keywords"
        ),
    )
    prompt = "Refactor this parser."  # 21 characters: 6 tokens, plus 4 for the message
    state = router.invoke({"messages": [("user", prompt)]})
    (record,) = state["usage"]
    assert record["tokens_estimated"] is True
    # "The answer is 5." is 16 characters: 4 tokens out; $1 a token.
    assert (record["input_tokens"], record["output_tokens"]) == (10, 4)
    assert record["cost_usd"] == pytest.approx(14.0) and state["total_cost_usd"] > 0
