"""validate: let a good local answer through, or escalate a bad one to the frontier."""

from __future__ import annotations

from typing import Any

from asymroute.effects import ModelCall, tap
from asymroute.errors import FrontierUnavailableError, NoAnswerError
from asymroute.fallback import context_overflow_error
from asymroute.guards import FRONTIER_SKIPPED
from asymroute.node_steps import NodeSteps
from asymroute.nodes.dual import DualRunnable, dual_node
from asymroute.planning import RouterSetup, RunPlan
from asymroute.records import (
    FRONTIER_UNAVAILABLE,
    PRIVACY_LOCAL,
    VALIDATION_FAILED_UNESCALATED,
    UsageRecord,
)
from asymroute.requests import request_prompt
from asymroute.routing import answering_model, last_usage, total_cost
from asymroute.state import RouterState
from asymroute.tracing import annotate_current_run
from asymroute.validators.replies import candidate_from
from asymroute.validators.run import validation_steps


def make_validate(setup: RouterSetup) -> DualRunnable:
    def validate(state: RouterState, plan: RunPlan) -> NodeSteps:
        local = state.get("local_answer")
        local_usage = last_usage(state.get("usage", []), "local")
        # The local tier's deployment that answered (before any validator's own calls).
        local_model = answering_model(state.get("usage", []), "local", plan.local.id)
        error = local_usage["error"] if local_usage else "no local call was made"
        prompt = request_prompt(state["messages"], setup.settings.max_prompt_chars)
        candidate = candidate_from(local, prompt, error, state["messages"])
        # Validators that call the local model (self_verify, consistency, a format retry)
        # yield their calls; this node's driver makes them, and `tap` keeps their usage.
        steps = validation_steps(
            candidate, plan.validators, plan.context.validation_policy(), plan.context.validate
        )
        calls: list[ModelCall] = []
        outcome = yield from tap(steps, calls)
        extra: list[UsageRecord] = [call.usage for call in calls]
        verdict = outcome.verdict
        usage = [*state.get("usage", []), *extra]
        accepted = outcome.answer.message if outcome.answer is not candidate else local
        # Privacy keeps this request off the frontier: a weak local answer is all there is.
        # So does a frontier that cannot honour the request's parameters or content.
        held = bool({PRIVACY_LOCAL, FRONTIER_SKIPPED} & set(state.get("flags", [])))
        escalate = not verdict["passed"] and plan.frontier_available and not held
        reason = None if verdict["passed"] else "; ".join(verdict["reasons"])
        annotate_current_run(
            tier="frontier" if escalate else "local",
            model=plan.frontier.id if escalate else plan.local.id,
            score=state["decision"]["score"],
            reasons=verdict["reasons"],
            escalated=escalate,
            escalation_reason=reason,
            failed_validators=verdict.get("failed") or None,
            validation_confidence=verdict.get("confidence"),
            validation_calls=len(extra) or None,
            cost_usd=total_cost(usage),
        )
        update: dict[str, Any] = {"verdict": verdict}
        if extra:
            update |= {"usage": extra, "total_cost_usd": total_cost(usage)}
        if accepted is not local:
            update["local_answer"] = accepted  # the format retry's answer replaced the first
        if verdict["passed"]:
            return update | _answered_locally(accepted, local_model)
        if escalate:
            return update | {"escalated": True, "escalation_reason": reason}
        if plan.context.strict and not held:
            raise FrontierUnavailableError(
                f"the local answer failed validation ({reason}) and the frontier "
                f"({plan.frontier.id}) is not configured; set OPENAI_API_KEY or OPENAI_BASE_URL"
            )
        if local is None:
            why = (
                "no frontier is configured to take over; set OPENAI_API_KEY or OPENAI_BASE_URL"
                if not held
                else "privacy=route-local keeps it off the frontier"
                if PRIVACY_LOCAL in state.get("flags", [])
                else "the frontier cannot honour what it asks for"
            )
            failure = NoAnswerError(f"the local tier ({plan.local.id}) failed ({error}) and {why}")
            raise context_overflow_error(usage) or failure
        unavailable = set() if held else {FRONTIER_UNAVAILABLE}
        flags = sorted({*state.get("flags", []), *unavailable, VALIDATION_FAILED_UNESCALATED})
        return update | _answered_locally(accepted, local_model) | {"flags": flags}

    return dual_node("validate", setup, validate)


def _answered_locally(local: Any, model_id: str) -> dict[str, Any]:
    return {"messages": [local], "answered_by": "local", "answer_model": model_id}
