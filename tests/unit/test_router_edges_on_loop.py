"""Under `ainvoke`, the router's conditional edges run on the event loop, not in a thread pool.

LangGraph runs a plain sync routing function in a thread pool under `ainvoke`: a thread hop
per edge per request (`nodes.dual.dual_route` avoids it). The hop is counted where LangGraph
makes it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langgraph._internal import _runnable
from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict

from nodes.dual import dual_route


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the sync functions LangGraph hands to its thread pool from now on."""
    seen: list[str] = []
    original = _runnable.run_in_executor

    def counting(config: Any, func: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(func, "__name__", repr(func)))
        return original(config, func, *args, **kwargs)

    monkeypatch.setattr(_runnable, "run_in_executor", counting)
    return seen


class Flow(TypedDict, total=False):
    go: str


def _pick(state: Flow) -> str:
    return "end"


def _graph(edge: Any) -> Any:
    builder = StateGraph(Flow)
    builder.add_node("start", lambda state: {"go": "end"})
    builder.add_edge(START, "start")
    builder.add_conditional_edges("start", edge, {"end": END})
    return builder.compile()


def test_a_plain_sync_edge_hops_to_a_thread_and_a_dual_route_does_not(hops: list[str]) -> None:
    asyncio.run(_graph(_pick).ainvoke({}))
    assert "_pick" in hops
    hops.clear()
    assert asyncio.run(_graph(dual_route(_pick)).ainvoke({})) == {"go": "end"}
    assert "_pick" not in hops
    assert _graph(dual_route(_pick)).invoke({}) == {"go": "end"}


@pytest.mark.parametrize(
    "context",
    [{}, {"threshold": 0.0}, {"local_model": "fake:empty"}],
    ids=["local", "frontier", "escalated"],
)
def test_router_edges_never_hop_to_a_thread(
    make_router: Any, hops: list[str], context: dict[str, Any]
) -> None:
    graph = make_router(**context)
    state = asyncio.run(graph.ainvoke({"messages": [("user", "What is 2+3?")]}))
    assert state["answered_by"] in ("local", "frontier")
    assert not {"after_classify", "after_validate"} & set(hops)
