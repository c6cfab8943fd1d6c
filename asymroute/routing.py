"""Pure routing rules: where a request goes after each step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from asymroute.classifiers import ComplexityScore
from asymroute.records import (
    PRICE_UNKNOWN,
    RoutingDecision,
    Tier,
    UsageRecord,
)


def decide(
    score: ComplexityScore, threshold: float, classifier: str, frontier_available: bool
) -> RoutingDecision:
    tier: Tier = "frontier" if score.score >= threshold else "local"
    return RoutingDecision(
        tier=tier,
        score=score.score,
        threshold=threshold,
        reasons=list(score.reasons),
        classifier=classifier,
        frontier_unavailable=tier == "frontier" and not frontier_available,
    )


def first_tier(decision: RoutingDecision) -> Tier:
    """The tier that answers first: the decision's, unless the frontier is not configured
    or a cooldown diverted the request (asymroute.guards)."""
    if "diverted_to" in decision:
        return decision["diverted_to"]
    if decision["tier"] == "frontier" and not decision["frontier_unavailable"]:
        return "frontier"
    return "local"


def total_cost(usage: Sequence[UsageRecord]) -> float:
    return round(sum(record["cost_usd"] for record in usage), 10)


def price_flags(usage: Sequence[UsageRecord]) -> set[str]:
    """price_unknown when a frontier call that answered has no price, so its $0 is not true
    (local providers run on your own hardware: the price table has them at $0)."""
    unpriced = any(
        record["tier"] == "frontier" and not record["priced"] and record["error"] is None
        for record in usage
    )
    return {PRICE_UNKNOWN} if unpriced else set()


def last_usage(usage: Sequence[UsageRecord], tier: Tier) -> UsageRecord | None:
    return next((record for record in reversed(usage) if record["tier"] == tier), None)


def answering_model(usage: Sequence[UsageRecord], tier: Tier, configured: str) -> str:
    """The model that answered on `tier`: its last successful call's (a tier of several
    deployments may answer from any of them), else the tier's configured model."""
    answered = [record for record in usage if record["tier"] == tier and record["error"] is None]
    return answered[-1]["model"] if answered else configured


def after_classify(state: Mapping[str, Any]) -> Literal["local_model", "frontier_model"]:
    return "frontier_model" if first_tier(state["decision"]) == "frontier" else "local_model"


def after_validate(state: Mapping[str, Any]) -> Literal["frontier_model", "__end__"]:
    return "frontier_model" if state.get("escalated") else "__end__"
