"""The `router` graph: classify -> local | frontier; local -> validate -> END | frontier.

A factory only: importing this module builds nothing (graphs.served builds a process's graphs).
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from asymroute.context import RouterContext
from asymroute.nodes.classify import make_classify
from asymroute.nodes.dual import dual_route
from asymroute.nodes.frontier_model import make_frontier_model
from asymroute.nodes.local_model import make_local_model
from asymroute.nodes.validate import make_validate
from asymroute.planning import RouterSetup
from asymroute.routing import after_classify, after_validate
from asymroute.settings import Settings, load_settings
from asymroute.state import RouterInput, RouterState

RouterGraph = CompiledStateGraph[RouterState, RouterContext, RouterInput, RouterState]
"""The compiled router; the chat and workflow graphs are built around one."""


def build_router(
    settings: Settings | None = None,
    defaults: RouterContext | None = None,
    *,
    setup: RouterSetup | None = None,
) -> RouterGraph:
    """Compile the router; `defaults` is the context used when a run passes none. A server
    that must close the router's HTTP clients at shutdown passes its own `setup`."""
    if setup is None:
        setup = RouterSetup.build(settings if settings is not None else load_settings(), defaults)
    builder = StateGraph(RouterState, context_schema=RouterContext, input_schema=RouterInput)
    builder.add_node("classify", make_classify(setup))
    builder.add_node("local_model", make_local_model(setup))
    builder.add_node("validate", make_validate(setup))
    builder.add_node("frontier_model", make_frontier_model(setup))
    builder.add_edge(START, "classify")
    builder.add_conditional_edges(
        "classify",
        dual_route(after_classify),
        {"local_model": "local_model", "frontier_model": "frontier_model"},
    )
    builder.add_edge("local_model", "validate")
    builder.add_conditional_edges(
        "validate", dual_route(after_validate), {"frontier_model": "frontier_model", END: END}
    )
    builder.add_edge("frontier_model", END)
    return builder.compile(name="router")
