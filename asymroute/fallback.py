"""The local answer a request falls back on when the frontier cannot give one."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any

from langchain_core.messages import AIMessage

from asymroute.errors import NoAnswerError
from asymroute.model_calls import ModelCall
from asymroute.node_steps import CallTier


def local_fallback(
    state: Mapping[str, Any], calls: list[ModelCall], why: str
) -> Generator[CallTier, ModelCall, AIMessage]:
    """The rejected local answer kept in state, else one local attempt now (appended to `calls`).

    Raises `NoAnswerError` when there is none, starting with `why` and listing every failed
    call of the request, so no error is lost.
    """
    answer = state.get("local_answer")
    if answer is None and not state.get("escalated"):
        calls.append((yield CallTier("local", state["messages"])))
        answer = calls[-1].message
    if answer is None:
        errors = "; ".join(
            f"{record['tier']}: {record['error']}"
            for record in [*state.get("usage", []), *(call.usage for call in calls)]
            if record["error"]
        )
        raise NoAnswerError(f"{why} ({errors})")
    return answer
