"""The `chat` graph: one routed turn per user message, on a thread that keeps the history.

A factory only: importing this module builds nothing (graphs.served builds a process's graphs).
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from asymroute.chat import ChatInput, ChatState, after_turn
from asymroute.context import RouterContext
from asymroute.graphs.router import RouterGraph
from asymroute.nodes.chat_turn import make_chat_turn
from asymroute.nodes.dual import dual_route
from asymroute.nodes.fail_turn import fail_turn

ChatGraph = CompiledStateGraph[ChatState, RouterContext, ChatInput, Any]


def build_chat(router: RouterGraph, checkpointer: BaseCheckpointSaver | None = None) -> ChatGraph:
    """Compile the chat graph around a router (graphs.router.build_router), which routes every
    turn; a checkpointer (asymroute.checkpoints) keeps threads."""
    builder = StateGraph(ChatState, context_schema=RouterContext, input_schema=ChatInput)
    builder.add_node("chat_turn", make_chat_turn(router))
    builder.add_node("fail_turn", fail_turn)
    builder.add_edge(START, "chat_turn")
    builder.add_conditional_edges(
        "chat_turn", dual_route(after_turn), {"fail_turn": "fail_turn", END: END}
    )
    builder.add_edge("fail_turn", END)
    return builder.compile(checkpointer=checkpointer, name="chat")
