"""Typed records of what happened to a request; they live in graph state and results."""

from __future__ import annotations

from typing import Literal, NotRequired

from typing_extensions import TypedDict

Tier = Literal["local", "frontier"]

# Why a request was answered somewhere other than where it should have been.
FRONTIER_UNAVAILABLE = "frontier_unavailable"
FRONTIER_FAILED = "frontier_failed"
VALIDATION_FAILED_UNESCALATED = "validation_failed_unescalated"
# The frontier was needed but the next call would exceed a budget (policy `downgrade`).
BUDGET_EXHAUSTED = "budget_exhausted"
# An endpoint was skipped while cooling down after repeated failures (asymroute.resilience).
ENDPOINT_COOLDOWN = "endpoint_cooldown"
# Sensitive data kept the request on the local tier, or was redacted before the frontier.
PRIVACY_LOCAL = "privacy_local"
PRIVACY_REDACTED = "privacy_redacted"
# A model the price table does not know answered: its cost is recorded as $0 (ASYMROUTE_PRICES
# sets a price).
PRICE_UNKNOWN = "price_unknown"


class RoutingDecision(TypedDict):
    tier: Tier
    score: float
    threshold: float
    reasons: list[str]
    classifier: str
    frontier_unavailable: bool
    privacy: NotRequired[list[str]]
    """Sensitive-data categories found in the request (never the values)."""
    cooling_down: NotRequired[list[Tier]]
    """Tiers whose endpoint was cooling down when the request was routed."""
    diverted_to: NotRequired[Tier]
    """The tier the request starts on instead, because `tier`'s endpoint is cooling down."""


class ValidationVerdict(TypedDict):
    passed: bool
    reasons: list[str]
    validators: list[str]
    skipped: bool
    confidence: NotRequired[float | None]
    """Mean confidence of the estimating validators (confidence, scorer, self_verify,
    consistency)."""
    failed: NotRequired[list[str]]
    """Names of the validators that failed the answer."""
    judgements: NotRequired[dict[str, ValidatorJudgement]]
    """Each validator that ran: passed, confidence (None: not measured) and reasons."""


class ValidatorJudgement(TypedDict):
    passed: bool
    confidence: float | None
    reasons: list[str]


class UsageRecord(TypedDict):
    model: str
    tier: Tier
    input_tokens: int
    output_tokens: int
    latency_s: float
    cost_usd: float
    priced: bool
    error: str | None
    attempts: NotRequired[int]
    """Requests sent to the endpoint for this call: retries included, 0 when it was skipped."""
    attempt_errors: NotRequired[list[str]]
    """The error of each failed attempt, in order (the last one is `error` if all failed)."""
    tokens_estimated: NotRequired[bool]
    """The endpoint reported no usage (llama.cpp's server when streaming): the tokens are
    estimated from the characters sent and received (`budget.estimated_usage`)."""
