"""The router graph's state: the conversation plus a typed record of what happened."""

from __future__ import annotations

from typing import Annotated, NotRequired

from langchain_core.messages import AIMessage, AnyMessage
from typing_extensions import TypedDict

from asymroute.records import (
    RoutingDecision,
    Tier,
    UsageRecord,
    ValidationVerdict,
    append_or_reset,
)
from asymroute.requests import add_request_messages


class RouterInput(TypedDict):
    messages: Annotated[list[AnyMessage], add_request_messages]
    thread_spent_usd: NotRequired[float]
    """Spend recorded on the caller's thread before this request (budgets); pass it each time."""
    run_spent_usd: NotRequired[float]
    """Spend recorded in the caller's run (e.g. a workflow) before this request."""


class RouterState(RouterInput, total=False):
    decision: RoutingDecision
    local_answer: AIMessage | None
    """The local tier's reply; kept for inspection when it was rejected."""
    verdict: ValidationVerdict | None
    escalated: bool
    escalation_reason: str | None
    answered_by: Tier | None
    answer_model: str | None
    flags: list[str]
    """Why the answer came from elsewhere than planned: frontier_unavailable, frontier_failed."""
    usage: Annotated[list[UsageRecord], append_or_reset]
    total_cost_usd: float
    earlier_cost_usd: float
    """Recorded cost of this thread's earlier requests (the router's own running total, so a
    thread budget holds on a checkpointed thread without the caller passing its spend)."""
