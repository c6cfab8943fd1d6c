"""Turn a node body (or a routing function) into a LangGraph runnable with both a sync and an
async implementation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

# LangGraph wraps every function node in RunnableCallable; using it directly is the only way
# to give one node both implementations with `runtime` injected. langgraph is pinned < 2.
from langgraph._internal._runnable import RunnableCallable
from langgraph.runtime import Runtime

from asymroute.context import RouterContext
from asymroute.node_steps import NodeBody, arun_steps, run_steps
from asymroute.planning import RouterSetup

RouteT = TypeVar("RouteT")


def dual_node(name: str, setup: RouterSetup, body: NodeBody) -> RunnableCallable:
    def sync_node(state: Any, runtime: Runtime[RouterContext]) -> dict[str, Any]:
        plan = setup.plan(runtime.context)
        return run_steps(body(state, plan), plan, setup.settings)

    async def async_node(state: Any, runtime: Runtime[RouterContext]) -> dict[str, Any]:
        plan = await setup.aplan(runtime.context)
        return await arun_steps(body(state, plan), plan, setup.settings)

    sync_node.__name__ = async_node.__name__ = name
    return RunnableCallable(sync_node, async_node, name=name, trace=False)


def dual_route(route: Callable[[Any], RouteT]) -> RunnableCallable:
    """A conditional edge's routing function, runnable by `invoke` and `ainvoke` alike.

    LangGraph runs a plain sync function given to `add_conditional_edges` in a thread pool
    under `ainvoke`/`astream`: a thread hop per edge per request, for a dict lookup.
    """

    async def async_route(state: Any) -> RouteT:
        return route(state)

    async_route.__name__ = route.__name__
    return RunnableCallable(route, async_route, name=route.__name__, trace=False)
