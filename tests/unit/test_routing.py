"""Pure routing rules: decide, first_tier, the edge functions and the usage helpers."""

from __future__ import annotations

import pytest

from asymroute.classifiers import ComplexityScore
from asymroute.records import RoutingDecision, UsageRecord, append_or_reset
from asymroute.routing import (
    after_classify,
    after_validate,
    decide,
    first_tier,
    last_usage,
    total_cost,
)


def decision(tier: str, frontier_unavailable: bool = False) -> RoutingDecision:
    return RoutingDecision(
        tier=tier,  # type: ignore[typeddict-item]
        score=0.5,
        threshold=0.5,
        reasons=[],
        classifier="heuristic",
        frontier_unavailable=frontier_unavailable,
    )


def usage(tier: str, model: str, cost: float) -> UsageRecord:
    return UsageRecord(
        model=model,
        tier=tier,  # type: ignore[typeddict-item]
        input_tokens=0,
        output_tokens=0,
        latency_s=0.0,
        cost_usd=cost,
        priced=True,
        error=None,
    )


# --- decide and first_tier -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "tier"), [(0.5, "frontier"), (0.9, "frontier"), (0.4999, "local"), (0.0, "local")]
)
def test_decide_sends_scores_at_or_above_threshold_to_frontier(score: float, tier: str) -> None:
    result = decide(ComplexityScore(score, ("why",)), 0.5, "heuristic", True)

    assert result == RoutingDecision(
        tier=tier,  # type: ignore[typeddict-item]
        score=score,
        threshold=0.5,
        reasons=["why"],
        classifier="heuristic",
        frontier_unavailable=False,
    )


def test_decide_with_threshold_zero_always_picks_frontier() -> None:
    assert decide(ComplexityScore(0.0, ()), 0.0, "keywords", True)["tier"] == "frontier"


def test_decide_with_threshold_one_picks_frontier_only_for_score_one() -> None:
    assert decide(ComplexityScore(1.0, ()), 1.0, "keywords", True)["tier"] == "frontier"
    assert decide(ComplexityScore(0.99, ()), 1.0, "keywords", True)["tier"] == "local"


@pytest.mark.parametrize(
    ("score", "available", "unavailable"),
    [(0.9, False, True), (0.9, True, False), (0.1, False, False), (0.1, True, False)],
)
def test_frontier_unavailable_only_when_frontier_chosen_and_not_available(
    score: float, available: bool, unavailable: bool
) -> None:
    result = decide(ComplexityScore(score, ()), 0.5, "heuristic", available)

    assert result["frontier_unavailable"] is unavailable


@pytest.mark.parametrize(
    ("tier", "unavailable", "first"),
    [("frontier", False, "frontier"), ("frontier", True, "local"), ("local", False, "local")],
)
def test_first_tier_falls_back_to_local_when_frontier_unavailable(
    tier: str, unavailable: bool, first: str
) -> None:
    assert first_tier(decision(tier, unavailable)) == first


# --- edge functions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "unavailable", "node"),
    [
        ("frontier", False, "frontier_model"),
        ("frontier", True, "local_model"),
        ("local", False, "local_model"),
    ],
)
def test_after_classify_goes_to_the_first_tier(tier: str, unavailable: bool, node: str) -> None:
    assert after_classify({"decision": decision(tier, unavailable)}) == node


@pytest.mark.parametrize(
    ("state", "node"),
    [({"escalated": True}, "frontier_model"), ({"escalated": False}, "__end__"), ({}, "__end__")],
)
def test_after_validate_escalates_only_when_flagged(state: dict[str, bool], node: str) -> None:
    assert after_validate(state) == node


# --- usage helpers -------------------------------------------------------------------------


def test_total_cost_sums_and_rounds_away_float_noise() -> None:
    records = [usage("local", "a", 0.1), usage("frontier", "b", 0.2)]

    assert total_cost(records) == 0.3
    assert total_cost([]) == 0.0


def test_last_usage_returns_the_latest_record_of_a_tier() -> None:
    records = [usage("local", "a", 0), usage("frontier", "b", 0), usage("local", "c", 0)]

    assert last_usage(records, "local") == records[2]
    assert last_usage(records, "frontier") == records[1]
    assert last_usage(records[:1], "frontier") is None


def test_usage_log_appends_and_none_starts_afresh() -> None:
    first, second = usage("local", "a", 0), usage("frontier", "b", 0)

    assert append_or_reset([first], [second]) == [first, second]
    assert append_or_reset([first, second], None) == []
