"""What the frontier node does instead of a call that would exceed a budget.

`refuse` raises `BudgetExceededError`. `downgrade` answers on the local tier, flagged
`budget_exhausted`: with the local answer already in hand when this was an escalation (the
one validation rejected, the best answer affordable), else with one local call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asymroute.budget import BudgetCheck, check_router_state
from asymroute.effects import ModelCall
from asymroute.errors import BudgetExceededError
from asymroute.fallback import local_fallback
from asymroute.node_steps import NodeSteps
from asymroute.planning import RunPlan
from asymroute.pricing.base import ModelPrice
from asymroute.records import BUDGET_EXHAUSTED, spent_usd
from asymroute.tracing import annotate_current_run


def frontier_budget(
    state: Mapping[str, Any], plan: RunPlan, price: ModelPrice | None
) -> BudgetCheck:
    """`price`: the frontier's, as served (the dearest of its deployments,
    `tier_call.dearest`); None: unknown."""
    return check_router_state(state, plan.context, price)


def over_budget(state: Mapping[str, Any], plan: RunPlan, check: BudgetCheck) -> NodeSteps:
    if plan.context.budget_policy == "refuse":
        raise BudgetExceededError(
            f"{check.reason} (budget_policy refuse); raise the budget, or set "
            "budget_policy to downgrade to answer on the local tier instead"
        )
    calls: list[ModelCall] = []
    answer = yield from local_fallback(
        state, calls, f"the frontier is over budget ({check.reason}) and the local tier failed"
    )
    usage = [*state.get("usage", []), *(call.usage for call in calls)]
    annotate_current_run(
        tier="local",
        model=plan.local.id,
        score=state["decision"]["score"],
        reasons=[check.reason],
        escalated=bool(state.get("escalated")),
        cost_usd=spent_usd(call.usage for call in calls),
        budget_exhausted=True,
    )
    return {
        "messages": [answer],
        "answered_by": "local",
        "answer_model": plan.local.id,
        "flags": sorted({*state.get("flags", []), BUDGET_EXHAUSTED}),
        "usage": [call.usage for call in calls],
        "total_cost_usd": spent_usd(usage),
    }
