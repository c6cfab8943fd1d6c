"""Under `ainvoke`, the router's conditional edges run on the event loop, not in a thread pool.

LangGraph runs a plain sync routing function in a thread pool under `ainvoke`: a thread hop
per edge per request (`asymroute.nodes.dual.dual_route` avoids it). Each routing function
records the thread it ran on; the loop's thread is the one `asyncio.run` runs on.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict

import asymroute.graphs.router
from asymroute.nodes.dual import dual_route


def recording(route: Callable[[Any], Any], threads: dict[str, set[int]]) -> Callable[[Any], Any]:
    def recorded(state: Any) -> Any:
        threads.setdefault(route.__name__, set()).add(threading.get_ident())
        return route(state)

    recorded.__name__ = route.__name__
    return recorded


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


def test_a_plain_sync_edge_hops_to_a_thread_and_a_dual_route_does_not() -> None:
    loop_thread = threading.get_ident()  # asyncio.run runs its loop on this thread
    plain: dict[str, set[int]] = {}
    asyncio.run(_graph(recording(_pick, plain)).ainvoke({}))
    assert plain["_pick"] != {loop_thread}
    dual: dict[str, set[int]] = {}
    assert asyncio.run(_graph(dual_route(recording(_pick, dual))).ainvoke({})) == {"go": "end"}
    assert dual["_pick"] == {loop_thread}
    assert _graph(dual_route(_pick)).invoke({}) == {"go": "end"}


@pytest.mark.parametrize(
    "context",
    [{}, {"threshold": 0.0}, {"local_model": "fake:empty"}],
    ids=["local", "frontier", "escalated"],
)
def test_router_edges_never_hop_to_a_thread(
    make_router: Any, monkeypatch: pytest.MonkeyPatch, context: dict[str, Any]
) -> None:
    threads: dict[str, set[int]] = {}
    for name in ("after_classify", "after_validate"):
        monkeypatch.setattr(
            asymroute.graphs.router,
            name,
            recording(getattr(asymroute.graphs.router, name), threads),
        )
    graph = make_router(**context)
    state = asyncio.run(graph.ainvoke({"messages": [("user", "What is 2+3?")]}))
    assert state["answered_by"] in ("local", "frontier")
    assert threads and all(seen == {threading.get_ident()} for seen in threads.values())
