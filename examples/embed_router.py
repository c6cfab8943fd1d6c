"""Embed the asymroute router in your own LangGraph app: it is one node.

    python examples/embed_router.py "What is 2+3?"

The compiled router is added as a node of a graph whose state has a `messages` key: it reads
the conversation and appends its answer, and your own nodes run before and after it. Pass
`context=RouterContext(...)` to the parent's invoke; the router sees the same context.
"""

from __future__ import annotations

import sys
from typing import Any

from langgraph.graph import END, START, MessagesState, StateGraph

from asymroute.graphs.router import build_router


def build_app(router: Any = None) -> Any:
    builder = StateGraph(MessagesState)
    builder.add_node("router", router if router is not None else build_router())  # the router
    builder.add_node("audit", lambda state: print(f"[audit] {len(state['messages'])} messages"))
    builder.add_edge(START, "router")
    builder.add_edge("router", "audit")
    builder.add_edge("audit", END)
    return builder.compile()


if __name__ == "__main__":
    prompt = sys.argv[1] if len(sys.argv) > 1 else "What is 2+3?"
    result = build_app().invoke({"messages": [("user", prompt)]})
    print(result["messages"][-1].content)
