"""Budgets: would the next frontier call push recorded spend over the thread or run limit?

Spend is never a counter of its own: it is summed from the `UsageRecord`s kept in graph
state, so it is exactly what was recorded, and it survives a checkpointed resume.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from asymroute.context import RouterContext
from asymroute.pricing import ModelPrice
from asymroute.records import spent_usd
from asymroute.requests import content_text

CHARS_PER_TOKEN = 4
"""Rough English average for BPE tokenizers; the estimate only has to be conservative-ish."""
TOKENS_PER_MESSAGE = 4
"""Chat-template overhead per message (role markers), as in OpenAI's own counting guide."""
IMAGE_PART_TOKENS = 1445
"""An image content part, whatever its size: the most OpenAI's GPT-4o-family vision counts for
one image at `detail: "high"`. The image is scaled to fit 2048x2048, then its short side to 768,
so it covers at most 2x4 tiles of 512 px: 85 base + 170 per tile x 8 = 1445. The image bytes
themselves (a data: URL) are never text the model reads, so they are not counted as text."""
LOW_DETAIL_IMAGE_TOKENS = 85
"""An image part sent with `detail: "low"`: OpenAI's fixed 85 tokens (one 512 px view)."""


def estimated_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def image_part_tokens(message: BaseMessage) -> int:
    """The tokens of the message's image parts, at a fixed estimate per image."""
    if isinstance(message.content, str):
        return 0
    total = 0
    for block in message.content:
        if not isinstance(block, dict) or block.get("type") not in ("image_url", "image"):
            continue
        image = block.get("image_url")
        detail = image.get("detail") if isinstance(image, dict) else None
        total += LOW_DETAIL_IMAGE_TOKENS if detail == "low" else IMAGE_PART_TOKENS
    return total


def _prompt_texts(
    messages: Sequence[BaseMessage], tools: Sequence[Mapping[str, Any]]
) -> Iterator[str]:
    """Every text of a call the model reads as tokens: the messages' text, the arguments of
    the assistant's earlier tool calls, and the tool definitions (sent with every call)."""
    for message in messages:
        yield content_text(message)
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                yield call["name"] + json.dumps(call["args"], ensure_ascii=False)
    if tools:
        yield json.dumps(list(tools), ensure_ascii=False)


def estimate_input_tokens(
    messages: Sequence[BaseMessage], tools: Sequence[Mapping[str, Any]] = ()
) -> int:
    chars = sum(len(text) for text in _prompt_texts(messages, tools))
    images = sum(image_part_tokens(message) for message in messages)
    return math.ceil(chars / CHARS_PER_TOKEN) + images + TOKENS_PER_MESSAGE * len(messages)


def most_input_tokens(
    messages: Sequence[BaseMessage], tools: Sequence[Mapping[str, Any]] = ()
) -> int:
    """An upper bound on the prompt's tokens: byte-level BPE tokenizers (GPT, Llama, Qwen...)
    never make more tokens than the text has UTF-8 bytes. For a reservation that must hold
    whatever the text (code and non-Latin scripts take far more than 4 characters a token).
    Images count at `IMAGE_PART_TOKENS` each (a documented bound, not a byte count)."""
    size = sum(len(text.encode("utf-8")) for text in _prompt_texts(messages, tools))
    images = sum(image_part_tokens(message) for message in messages)
    return size + images + TOKENS_PER_MESSAGE * len(messages)


def estimated_usage(
    sent: Sequence[BaseMessage], reply: BaseMessage, tools: Sequence[Mapping[str, Any]] = ()
) -> dict[str, int]:
    """Tokens of a call whose endpoint reported none, so that it is not free for a budget."""
    return {
        "input_tokens": estimate_input_tokens(sent, tools),
        "output_tokens": estimated_tokens(content_text(reply)),
    }


def estimate_call_cost(
    price: ModelPrice | None,
    messages: Sequence[BaseMessage],
    max_output_tokens: int,
    tools: Sequence[Mapping[str, Any]] = (),
) -> float:
    """The worst plausible cost of one call: the whole prompt (and its tools) in,
    `max_output_tokens` out.

    An unpriced model is estimated at 0, as its calls are recorded at 0.
    """
    if price is None:
        return 0.0
    return price.cost(estimate_input_tokens(messages, tools), max_output_tokens)


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
    estimate = estimate_call_cost(
        price, state["messages"], context.max_output_tokens * context.n, context.tools
    )
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
