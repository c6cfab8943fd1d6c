"""local_model: answer on the small local tier; validate decides whether that stands."""

from __future__ import annotations

from asymroute.effects import CallTier
from asymroute.node_steps import NodeSteps
from asymroute.nodes.dual import DualRunnable, dual_node
from asymroute.planning import RouterSetup, RunPlan
from asymroute.routing import total_cost
from asymroute.state import RouterState
from asymroute.tracing import annotate_current_run


def make_local_model(setup: RouterSetup) -> DualRunnable:
    def local_model(state: RouterState, plan: RunPlan) -> NodeSteps:
        call = yield CallTier("local", state["messages"])
        usage = [*state.get("usage", []), call.usage]
        annotate_current_run(
            tier="local",
            model=call.usage["model"],
            score=state["decision"]["score"],
            reasons=state["decision"]["reasons"],
            escalated=False,
            cost_usd=call.usage["cost_usd"],
            error=call.error,
            finish_reason=call.finish_reason,
        )
        return {
            "local_answer": call.message,
            "usage": [call.usage],
            "total_cost_usd": total_cost(usage),
        }

    return dual_node("local_model", setup, local_model)
