"""classify: check the request, score its complexity, pick a tier."""

from __future__ import annotations

from langgraph._internal._runnable import RunnableCallable

from asymroute.errors import FrontierUnavailableError
from asymroute.node_steps import NodeSteps
from asymroute.planning import RouterSetup, RunPlan
from asymroute.records import FRONTIER_UNAVAILABLE
from asymroute.requests import request_prompt
from asymroute.routing import decide
from asymroute.state import RouterState
from asymroute.tracing import annotate_current_run
from nodes.dual import dual_node


def make_classify(setup: RouterSetup) -> RunnableCallable:
    def classify(state: RouterState, plan: RunPlan) -> NodeSteps:
        yield from ()  # no model call: scoring is local and instant
        prompt = request_prompt(state["messages"], setup.settings.max_prompt_chars)
        decision = decide(
            plan.classifier.score(prompt),
            plan.context.threshold,
            plan.classifier.name,
            plan.frontier_available,
        )
        if decision["frontier_unavailable"] and plan.context.strict:
            raise FrontierUnavailableError(
                f"this request needs the frontier tier ({plan.frontier.id}) but it is not "
                "configured; set OPENAI_API_KEY or OPENAI_BASE_URL, or turn strict off"
            )
        annotate_current_run(
            tier=decision["tier"],
            model=plan.spec(decision["tier"]).id,
            score=decision["score"],
            reasons=decision["reasons"],
            classifier=decision["classifier"],
            frontier_unavailable=decision["frontier_unavailable"],
            escalated=False,
            cost_usd=0.0,
        )
        # A thread may carry an earlier request's record: start this one afresh.
        return {
            "decision": decision,
            "local_answer": None,
            "verdict": None,
            "escalated": False,
            "escalation_reason": None,
            "answered_by": None,
            "answer_model": None,
            "flags": [FRONTIER_UNAVAILABLE] if decision["frontier_unavailable"] else [],
            "usage": None,
            "total_cost_usd": 0.0,
        }

    return dual_node("classify", setup, classify)
