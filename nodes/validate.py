"""validate: let a good local answer through, or escalate a bad one to the frontier."""

from __future__ import annotations

from typing import Any

from langgraph._internal._runnable import RunnableCallable

from asymroute.errors import FrontierUnavailableError, NoAnswerError
from asymroute.model_calls import finish_reason
from asymroute.node_steps import NodeSteps
from asymroute.planning import RouterSetup, RunPlan
from asymroute.records import FRONTIER_UNAVAILABLE, VALIDATION_FAILED_UNESCALATED
from asymroute.requests import content_text, request_prompt
from asymroute.routing import judge, last_usage
from asymroute.state import RouterState
from asymroute.tracing import annotate_current_run
from asymroute.validators import CandidateAnswer
from nodes.dual import dual_node


def make_validate(setup: RouterSetup) -> RunnableCallable:
    def validate(state: RouterState, plan: RunPlan) -> NodeSteps:
        yield from ()  # the current validators judge the text alone, without model calls
        local = state.get("local_answer")
        local_usage = last_usage(state.get("usage", []), "local")
        error = local_usage["error"] if local_usage else "no local call was made"
        candidate = CandidateAnswer(
            prompt=request_prompt(state["messages"], setup.settings.max_prompt_chars),
            text=content_text(local) if local is not None else "",
            finish_reason=finish_reason(local),
            error=error,
        )
        verdict = judge(candidate, plan.validators, plan.context.validate)
        escalate = not verdict["passed"] and plan.frontier_available
        reason = None if verdict["passed"] else "; ".join(verdict["reasons"])
        annotate_current_run(
            tier="frontier" if escalate else "local",
            model=plan.frontier.id if escalate else plan.local.id,
            score=state["decision"]["score"],
            reasons=verdict["reasons"],
            escalated=escalate,
            escalation_reason=reason,
            cost_usd=state.get("total_cost_usd", 0.0),
        )
        update: dict[str, Any] = {"verdict": verdict}
        if verdict["passed"]:
            return update | _answered_locally(local, plan.local.id)
        if escalate:
            return update | {"escalated": True, "escalation_reason": reason}
        if plan.context.strict:
            raise FrontierUnavailableError(
                f"the local answer failed validation ({reason}) and the frontier "
                f"({plan.frontier.id}) is not configured; set OPENAI_API_KEY or OPENAI_BASE_URL"
            )
        if local is None:
            raise NoAnswerError(
                f"the local tier ({plan.local.id}) failed ({error}) and no frontier is "
                "configured to take over; set OPENAI_API_KEY or OPENAI_BASE_URL"
            )
        flags = sorted(
            {*state.get("flags", []), FRONTIER_UNAVAILABLE, VALIDATION_FAILED_UNESCALATED}
        )
        return update | _answered_locally(local, plan.local.id) | {"flags": flags}

    return dual_node("validate", setup, validate)


def _answered_locally(local: Any, model_id: str) -> dict[str, Any]:
    return {"messages": [local], "answered_by": "local", "answer_model": model_id}
