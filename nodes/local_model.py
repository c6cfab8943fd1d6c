"""local_model: answer on the small local tier; validate decides whether that stands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langgraph.runtime import Runtime

from asymroute.context import RouterContext
from asymroute.model_calls import call_tier
from asymroute.planning import RouterSetup
from asymroute.routing import total_cost
from asymroute.state import RouterState
from asymroute.tracing import annotate_current_run


def make_local_model(setup: RouterSetup) -> Callable[..., dict[str, Any]]:
    def local_model(state: RouterState, runtime: Runtime[RouterContext]) -> dict[str, Any]:
        plan = setup.plan(runtime.context)
        call = call_tier(plan, "local", state["messages"], setup.settings)
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

    return local_model
