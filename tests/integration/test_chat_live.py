"""The chat graph on real inference: follow-ups keep their routing, budgets hold, both APIs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from asymroute.checkpoints import open_async_checkpointer, open_checkpointer
from asymroute.context import RouterContext
from asymroute.errors import BudgetExceededError
from asymroute.graphs.chat import build_chat
from asymroute.graphs.router import build_router
from asymroute.records import BUDGET_EXHAUSTED
from asymroute.settings import Settings
from tests.integration.conftest import FRONTIER_ALIAS, OLLAMA_MODEL

COMPLEX = "Analyze and debug this parser, then refactor it to be thread-safe."
LIVE = RouterContext(
    local_model=f"ollama:{OLLAMA_MODEL}",
    frontier_model=f"openai:{FRONTIER_ALIAS}",
    max_output_tokens=32,
    classifier="heuristic",
    validate=False,
)


def with_store(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"checkpoint_path": tmp_path / "cp.sqlite"})


def test_follow_up_to_a_complex_turn_stays_on_the_frontier(
    settings: Settings, tmp_path: Path
) -> None:
    settings = with_store(settings, tmp_path)
    config = {"configurable": {"thread_id": "live-1"}}
    with open_checkpointer(settings) as saver:
        graph = build_chat(build_router(settings, LIVE), saver)
        graph.invoke({"messages": [("user", COMPLEX)]}, config)
        graph.invoke({"messages": [("user", "and why?")]}, config)
        state = graph.invoke({"messages": [("user", "What is 2+3?")]}, config)

    assert [(t["routed"], t["tier"]) for t in state["turns"]] == [
        ("frontier", "frontier"),
        ("frontier", "frontier"),  # a follow-up: not sent local just because it is short
        ("local", "local"),  # short but self-contained
    ]
    assert state["totals"]["calls"] == {"local": 1, "frontier": 2}
    assert state["totals"]["input_tokens"] == sum(
        u["input_tokens"] for t in state["turns"] for u in t["usage"]
    )
    assert state["totals"]["cost_usd"] == pytest.approx(sum(t["cost_usd"] for t in state["turns"]))
    assert state["totals"]["cost_usd"] > 0


def test_thread_budget_downgrades_then_refuses(settings: Settings, tmp_path: Path) -> None:
    settings = with_store(settings, tmp_path)
    config = {"configurable": {"thread_id": "live-2"}}
    with open_checkpointer(settings) as saver:
        graph = build_chat(build_router(settings, LIVE), saver)
        first = graph.invoke({"messages": [("user", COMPLEX)]}, config)
        spent = first["totals"]["cost_usd"]
        tight = RouterContext(**{**LIVE.__dict__, "budget_per_thread_usd": spent})
        second = graph.invoke({"messages": [("user", "and why?")]}, config, context=tight)
        refuse = RouterContext(**{**tight.__dict__, "budget_policy": "refuse"})
        with pytest.raises(BudgetExceededError, match="thread spend"):
            graph.invoke({"messages": [("user", COMPLEX)]}, config, context=refuse)

    turn = second["turns"][-1]
    assert turn["routed"] == "frontier" and turn["tier"] == "local"
    assert BUDGET_EXHAUSTED in turn["flags"]
    assert second["totals"]["cost_usd"] == pytest.approx(spent)  # nothing more was paid


def test_async_chat_with_the_async_sqlite_store(settings: Settings, tmp_path: Path) -> None:
    settings = with_store(settings, tmp_path)
    config = {"configurable": {"thread_id": "live-3"}}

    async def talk() -> dict:
        async with open_async_checkpointer(settings) as saver:
            graph = build_chat(build_router(settings, LIVE), saver)
            await graph.ainvoke({"messages": [("user", "What is 2+3?")]}, config)
            return await graph.ainvoke({"messages": [("user", "and why?")]}, config)

    state = asyncio.run(talk())
    assert [t["tier"] for t in state["turns"]] == ["local", "local"]
    assert len(state["messages"]) == 4 and state["totals"]["cost_usd"] == 0.0
