"""frontier_model: answer on the frontier tier, directly or as an escalation."""

from __future__ import annotations

from typing import cast

from asymroute.effects import CallTier, ModelCall
from asymroute.errors import NoAnswerError
from asymroute.fallback import local_fallback
from asymroute.guards import LOCAL_SKIPPED
from asymroute.node_steps import NodeSteps
from asymroute.nodes.dual import DualRunnable, dual_node
from asymroute.over_budget import frontier_budget, over_budget
from asymroute.planning import RouterSetup, RunPlan
from asymroute.records import FRONTIER_FAILED, Tier
from asymroute.routing import answering_model, price_flags, total_cost
from asymroute.state import RouterState
from asymroute.tier_call import dearest, tier_prices
from asymroute.tool_calls import called_tools
from asymroute.tracing import annotate_current_run


def make_frontier_model(setup: RouterSetup) -> DualRunnable:
    def frontier_model(state: RouterState, plan: RunPlan) -> NodeSteps:
        budget = frontier_budget(state, plan, dearest(tier_prices(setup, plan, "frontier")))
        if not budget.allowed:
            return (yield from over_budget(state, plan, budget))
        calls: list[ModelCall] = [(yield CallTier("frontier", state["messages"]))]
        answer, answered_by = calls[0].message, cast(Tier, "frontier")
        if answer is None:
            # A skipped local tier cannot honour the request: no fallback to it either.
            if plan.context.strict or LOCAL_SKIPPED in state.get("flags", []):
                raise NoAnswerError(
                    f"the frontier tier ({plan.frontier.id}) failed: {calls[0].error}"
                )
            answered_by = "local"
            answer = yield from local_fallback(state, calls, "no tier could answer this request")
        usage = [*state.get("usage", []), *(call.usage for call in calls)]
        flags = state.get("flags", [])
        if answered_by != "frontier":
            flags = sorted({*flags, FRONTIER_FAILED})
        if unpriced := price_flags([call.usage for call in calls]):
            flags = sorted({*flags, *unpriced})
        answer_model = answering_model(usage, answered_by, setup.spec(plan, answered_by).id)
        annotate_current_run(
            tier=answered_by,
            model=answer_model,
            score=state["decision"]["score"],
            reasons=state["decision"]["reasons"],
            escalated=bool(state.get("escalated")),
            cost_usd=sum(call.usage["cost_usd"] for call in calls),
            frontier_failed=answered_by != "frontier",
            error=calls[0].error,
            tool_calls=called_tools(answer),
        )
        return {
            "messages": [answer],
            "answered_by": answered_by,
            "answer_model": answer_model,
            "flags": flags,
            "usage": [call.usage for call in calls],
            "total_cost_usd": total_cost(usage),
        }

    return dual_node("frontier_model", setup, frontier_model)
