"""A node that calls the router graph as a subgraph, under `invoke` and `ainvoke` alike.

Why a call from a node rather than the compiled router added as a node: each call gets input
built for it (a step with the earlier results as context, the spend so far for budgets), and
its output is reduced to a route record; a shared-state subgraph node would leak the router's
per-request keys (decision, verdict, usage, ...) into the parent's state. Called with the
node's config, the router still runs as a true subgraph: it streams with `subgraphs=True`,
is traced under the node, and checkpoints under the node's namespace, so a resumed parent
picks an interrupted router run up where it stopped instead of paying for it again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from langgraph.types import StreamWriter

from asymroute.errors import AsymrouteError
from asymroute.nodes.dual import DualRunnable, node_runtime


@dataclass(frozen=True)
class RouterRequest:
    messages: list[BaseMessage]
    thread_spent_usd: float = 0.0
    run_spent_usd: float = 0.0

    def as_input(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "thread_spent_usd": self.thread_spent_usd,
            "run_spent_usd": self.run_spent_usd,
        }


Prepare = Callable[[Any], RouterRequest | None]
"""state -> the router request to make, or None to make none."""
Finish = Callable[[Any, Mapping[str, Any] | None, StreamWriter], dict[str, Any]]
"""(state, router's final state or None, stream writer) -> this node's state update."""


OnError = Callable[[Any, AsymrouteError], dict[str, Any]]
"""(state, the router's error) -> this node's state update instead of raising it."""


def router_node(
    name: str, router: Any, prepare: Prepare, finish: Finish, on_error: OnError | None = None
) -> DualRunnable:
    def sync_node(state: Any, config: RunnableConfig) -> dict[str, Any]:
        runtime = node_runtime()
        request = prepare(state)
        try:
            result = (
                None
                if request is None
                else router.invoke(request.as_input(), config, context=runtime.context)
            )
        except AsymrouteError as error:
            if on_error is None:
                raise
            return on_error(state, error)
        return finish(state, result, runtime.stream_writer)

    async def async_node(state: Any, config: RunnableConfig) -> dict[str, Any]:
        runtime = node_runtime()
        request = prepare(state)
        try:
            result = (
                None
                if request is None
                else await router.ainvoke(request.as_input(), config, context=runtime.context)
            )
        except AsymrouteError as error:
            if on_error is None:
                raise
            return on_error(state, error)
        return finish(state, result, runtime.stream_writer)

    return DualRunnable(name, sync_node, async_node)
