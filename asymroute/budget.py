"""Budgets: would the next frontier call push recorded spend over the thread or run limit?

Spend is never a counter of its own: it is summed from the `UsageRecord`s kept in graph
state, so it is exactly what was recorded, and it survives a checkpointed resume.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import BaseMessage

from asymroute.context import RouterContext
from asymroute.pricing import ModelPrice
from asymroute.records import spent_usd
from asymroute.requests import content_text

CHARS_PER_TOKEN = 4
"""Rough English average for BPE tokenizers; the estimate only has to be conservative-ish."""
TOKENS_PER_MESSAGE = 4
"""Chat-template overhead per message (role markers), as in OpenAI's own counting guide."""


def estimated_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def estimate_input_tokens(messages: Sequence[BaseMessage]) -> int:
    chars = sum(len(content_text(message)) for message in messages)
    return math.ceil(chars / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE * len(messages)


def most_input_tokens(messages: Sequence[BaseMessage]) -> int:
    """An upper bound on the prompt's tokens: byte-level BPE tokenizers (GPT, Llama, Qwen...)
    never make more tokens than the text has UTF-8 bytes. For a reservation that must hold
    whatever the text (code and non-Latin scripts take far more than 4 characters a token)."""
    size = sum(len(content_text(message).encode("utf-8")) for message in messages)
    return size + TOKENS_PER_MESSAGE * len(messages)


def estimated_usage(sent: Sequence[BaseMessage], reply: BaseMessage) -> dict[str, int]:
    """Tokens of a call whose endpoint reported none, so that it is not free for a budget."""
    return {
        "input_tokens": estimate_input_tokens(sent),
        "output_tokens": estimated_tokens(content_text(reply)),
    }


def estimate_call_cost(
    price: ModelPrice | None, messages: Sequence[BaseMessage], max_output_tokens: int
) -> float:
    """The worst plausible cost of one call: the whole prompt in, `max_output_tokens` out.

    An unpriced model is estimated at 0, as its calls are recorded at 0.
    """
    if price is None:
        return 0.0
    return price.cost(estimate_input_tokens(messages), max_output_tokens)


@dataclass(frozen=True)
class BudgetCheck:
    allowed: bool
    reason: str | None = None
    """Why the call is not allowed, naming the budget, the spend and the estimate."""


def check_frontier_call(
    context: RouterContext, thread_spent: float, run_spent: float, estimate: float
) -> BudgetCheck:
    """Allowed when spend so far plus the call's estimate stays within every budget set."""
    for label, budget, spent in (
        ("thread", context.budget_per_thread_usd, thread_spent),
        ("run", context.budget_per_run_usd, run_spent),
    ):
        if budget is not None and spent + estimate > budget:
            return BudgetCheck(
                allowed=False,
                reason=(
                    f"the next frontier call (estimated ${estimate:.6f}) would take the {label} "
                    f"spend from ${spent:.6f} past its budget of ${budget:.6f}"
                ),
            )
    return BudgetCheck(allowed=True)


def check_router_state(
    state: Mapping[str, Any],
    context: RouterContext,
    price: ModelPrice | None,
) -> BudgetCheck:
    """The check for the frontier call a router run is about to make, from its state.

    The caller's earlier spend comes in as `thread_spent_usd` / `run_spent_usd`; this
    request's own spend (a failed or rejected local call) is in `usage`.
    """
    if context.budget_per_thread_usd is None and context.budget_per_run_usd is None:
        return BudgetCheck(allowed=True)
    request_spent = spent_usd(state.get("usage") or [])
    # n choices: up to n answers' tokens out.
    estimate = estimate_call_cost(price, state["messages"], context.max_output_tokens * context.n)
    return check_frontier_call(
        context,
        # The caller's figure covers our earlier requests when it tracks the thread itself.
        thread_spent=max(
            float(state.get("thread_spent_usd") or 0.0), float(state.get("earlier_cost_usd", 0.0))
        )
        + request_spent,
        run_spent=float(state.get("run_spent_usd") or 0.0) + request_spent,
        estimate=estimate,
    )
