"""The local answer a request falls back on when the frontier cannot give one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage

from asymroute.effects import CallTier, ModelCall, Steps
from asymroute.errors import InvalidRequestError, NoAnswerError
from asymroute.resilience.failures import overflows_context_window


def local_fallback(state: Mapping[str, Any], calls: list[ModelCall], why: str) -> Steps[AIMessage]:
    """The rejected local answer kept in state, else one local attempt now (appended to `calls`).

    Raises `NoAnswerError` when there is none, starting with `why` and listing every failed
    call of the request, so no error is lost.
    """
    answer = state.get("local_answer")
    if answer is None and not state.get("escalated"):
        calls.append((yield CallTier("local", state["messages"])))
        answer = calls[-1].message
    if answer is None:
        failed = [
            record
            for record in [*state.get("usage", []), *(call.usage for call in calls)]
            if record["error"]
        ]
        errors = "; ".join(f"{record['tier']}: {record['error']}" for record in failed)
        raise context_overflow_error(failed) or NoAnswerError(f"{why} ({errors})")
    return answer


def context_overflow_error(usage: Sequence[Mapping[str, Any]]) -> InvalidRequestError | None:
    """When no tier answered because the request did not fit a model's context window: the
    request's own size, not an outage, so a 400 that says what to change (else None)."""
    too_long = sorted(
        {r["model"] for r in usage if r["error"] and overflows_context_window(str(r["error"]))}
    )
    if not too_long:
        return None
    return InvalidRequestError(
        f"the request is too long for the context window of {', '.join(too_long)}, and no "
        "other tier may answer it; shorten it (or drop older turns), or raise the window "
        "(ASYMROUTE_LLAMACPP_N_CTX for the embedded model)"
    )
