"""validate: let a good local answer through, or escalate a bad one to the frontier."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from asymroute.errors import FrontierUnavailableError, NoAnswerError
from asymroute.fallback import context_overflow_error
from asymroute.model_calls import ModelCall, finish_reason
from asymroute.node_steps import CallTier, NodeSteps
from asymroute.planning import RouterSetup, RunPlan
from asymroute.records import (
    FRONTIER_UNAVAILABLE,
    PRIVACY_LOCAL,
    VALIDATION_FAILED_UNESCALATED,
    UsageRecord,
)
from asymroute.requests import content_text, request_prompt
from asymroute.routing import last_usage, total_cost
from asymroute.state import RouterState
from asymroute.tracing import annotate_current_run
from asymroute.validators import CandidateAnswer
from asymroute.validators.confidence import token_logprobs_of
from asymroute.validators.run import ValidationOutcome, validation_steps
from nodes.dual import DualRunnable, dual_node


def candidate_from(
    message: AIMessage | None, prompt: str, error: str | None, messages: Any
) -> CandidateAnswer:
    return CandidateAnswer(
        prompt=prompt,
        text=content_text(message) if message is not None else "",
        finish_reason=finish_reason(message),
        error=error,
        token_logprobs=token_logprobs_of(message.response_metadata) if message else None,
        messages=tuple(messages),
        message=message,
    )


def make_validate(setup: RouterSetup) -> DualRunnable:
    def validate(state: RouterState, plan: RunPlan) -> NodeSteps:
        local = state.get("local_answer")
        local_usage = last_usage(state.get("usage", []), "local")
        error = local_usage["error"] if local_usage else "no local call was made"
        prompt = request_prompt(state["messages"], setup.settings.max_prompt_chars)
        candidate = candidate_from(local, prompt, error, state["messages"])
        # Validators that call the local model (self_verify, consistency, a format retry)
        # yield requests.
        steps = validation_steps(
            candidate, plan.validators, plan.context.validation_policy(), plan.context.validate
        )
        extra: list[UsageRecord] = []
        try:
            request = next(steps)
            while True:
                call: ModelCall = yield CallTier("local", request)
                extra.append(call.usage)
                reply = candidate_from(call.message, prompt, call.error, request)
                request = steps.send(reply)
        except StopIteration as done:
            outcome: ValidationOutcome = done.value
        verdict = outcome.verdict
        usage = [*state.get("usage", []), *extra]
        accepted = outcome.answer.message if outcome.answer is not candidate else local
        # Privacy keeps this request off the frontier: a weak local answer is all there is.
        held = PRIVACY_LOCAL in state.get("flags", [])
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
            return update | _answered_locally(accepted, plan.local.id)
        if escalate:
            return update | {"escalated": True, "escalation_reason": reason}
        if plan.context.strict and not held:
            raise FrontierUnavailableError(
                f"the local answer failed validation ({reason}) and the frontier "
                f"({plan.frontier.id}) is not configured; set OPENAI_API_KEY or OPENAI_BASE_URL"
            )
        if local is None:
            why = (
                "privacy=route-local keeps it off the frontier"
                if held
                else "no frontier is configured to take over; set OPENAI_API_KEY or OPENAI_BASE_URL"
            )
            failure = NoAnswerError(f"the local tier ({plan.local.id}) failed ({error}) and {why}")
            raise context_overflow_error(usage) or failure
        unavailable = set() if held else {FRONTIER_UNAVAILABLE}
        flags = sorted({*state.get("flags", []), *unavailable, VALIDATION_FAILED_UNESCALATED})
        return update | _answered_locally(accepted, plan.local.id) | {"flags": flags}

    return dual_node("validate", setup, validate)


def _answered_locally(local: Any, model_id: str) -> dict[str, Any]:
    return {"messages": [local], "answered_by": "local", "answer_model": model_id}
