"""Turn a node body (or a routing function) into a LangGraph runnable with both a sync and an
async implementation, on public APIs only.

LangGraph runs a plain sync function node in a thread pool under `ainvoke`, and a plain async
one cannot run under `invoke`; a node here has one body for each. `DualRunnable` is a
langchain-core `Runnable` that calls them directly: it opens no trace run of its own (the node's
run is LangGraph's), and the run's `Runtime` comes from `langgraph.runtime.get_runtime`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from langchain_core.runnables import Runnable, RunnableConfig, ensure_config
from langgraph.runtime import Runtime, get_runtime

from asymroute.context import RouterContext
from asymroute.node_steps import NodeBody, arun_steps, run_steps
from asymroute.planning import RouterSetup, RunPlan

RouteT = TypeVar("RouteT")
SyncBody = Callable[[Any, RunnableConfig], Any]
AsyncBody = Callable[[Any, RunnableConfig], Awaitable[Any]]


class DualRunnable(Runnable[Any, Any]):
    """A sync and an async body behind one name; `invoke` runs the first, `ainvoke` the second."""

    def __init__(self, name: str, sync_body: SyncBody, async_body: AsyncBody) -> None:
        self.name = name
        self._sync_body, self._async_body = sync_body, async_body

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        return self._sync_body(input, ensure_config(config))

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        return await self._async_body(input, ensure_config(config))


def node_runtime() -> Runtime[RouterContext]:
    """The running graph's runtime (context, stream writer), as LangGraph sets it for a node."""
    return get_runtime(RouterContext)


def dual_node(
    name: str,
    setup: RouterSetup,
    body: NodeBody,
    prepare: Callable[[RunPlan], None] | None = None,
    aprepare: Callable[[RunPlan], Awaitable[None]] | None = None,
    *,
    compute_bound: bool = False,
) -> DualRunnable:
    """`prepare` / `aprepare`: what the body needs looked up first (blocking / on the event
    loop), so that the body itself never waits on I/O. `compute_bound`: the body calls no model
    but may compute for tens of milliseconds (classify embeds the prompt); under `ainvoke` it
    then runs in a worker thread, so the event loop keeps serving other requests meanwhile."""

    def sync_node(state: Any, config: RunnableConfig) -> dict[str, Any]:
        plan = setup.plan(node_runtime().context)
        if prepare is not None:
            prepare(plan)
        return run_steps(body(state, plan), plan, setup)

    async def async_node(state: Any, config: RunnableConfig) -> dict[str, Any]:
        plan = await setup.aplan(node_runtime().context)
        if aprepare is not None:
            await aprepare(plan)
        if compute_bound:
            # to_thread copies the context: the runtime and the trace run stay the node's.
            return await asyncio.to_thread(run_steps, body(state, plan), plan, setup)
        return await arun_steps(body(state, plan), plan, setup)

    return DualRunnable(name, sync_node, async_node)


def dual_route(route: Callable[[Any], RouteT]) -> DualRunnable:
    """A conditional edge's routing function, runnable by `invoke` and `ainvoke` alike.

    LangGraph runs a plain sync function given to `add_conditional_edges` in a thread pool
    under `ainvoke`/`astream`: a thread hop per edge per request, for a dict lookup.
    """

    async def async_route(state: Any, config: RunnableConfig) -> RouteT:
        return route(state)

    return DualRunnable(route.__name__, lambda state, config: route(state), async_route)
