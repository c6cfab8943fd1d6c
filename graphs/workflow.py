"""The `workflow` graph: plan -> run each step through the router -> synthesize.

Every step is routed on its own, so an easy step of a hard job stays on the local tier.
Each step is one super-step, so a checkpointer saves the run after every completed step.
A factory only: importing this module builds nothing (graphs.served builds a process's graphs).
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from asymroute.context import RouterContext
from asymroute.graphs.router import RouterGraph
from asymroute.nodes.dual import dual_route
from asymroute.nodes.plan_steps import make_plan_steps
from asymroute.nodes.run_step import make_run_step
from asymroute.nodes.synthesize import make_synthesize
from asymroute.workflow.routing import after_step
from asymroute.workflow.state import WorkflowInput, WorkflowState

WorkflowGraph = CompiledStateGraph[WorkflowState, RouterContext, WorkflowInput, Any]


def build_workflow(
    router: RouterGraph, checkpointer: BaseCheckpointSaver | None = None
) -> WorkflowGraph:
    """Compile the workflow around a router (graphs.router.build_router), which plans, runs
    and synthesizes; pass a checkpointer (asymroute.checkpoints) to make it durable."""
    builder = StateGraph(WorkflowState, context_schema=RouterContext, input_schema=WorkflowInput)
    builder.add_node("plan_steps", make_plan_steps(router))
    builder.add_node("run_step", make_run_step(router))
    builder.add_node("synthesize", make_synthesize(router))
    builder.add_edge(START, "plan_steps")
    builder.add_edge("plan_steps", "run_step")
    builder.add_conditional_edges(
        "run_step", dual_route(after_step), {"run_step": "run_step", "synthesize": "synthesize"}
    )
    builder.set_finish_point("synthesize")
    return builder.compile(checkpointer=checkpointer, name="workflow")
