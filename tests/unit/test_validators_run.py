"""Combining validators: all vs mean, short-circuit, revisions, the scorer validator."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from asymroute.context import RouterContext
from asymroute.effects import drive
from asymroute.errors import ConfigurationError
from asymroute.validators import get_validators
from asymroute.validators.base import CandidateAnswer, Judgement, ValidationPolicy
from asymroute.validators.run import validation_steps
from asymroute.validators.scorer import (
    TYPICAL_ESCALATION_CHARS,
    ScorerValidator,
    cost_weighted,
    frontier_input_chars,
)
from tests.unit.steps_driver import no_calls

QUESTION = "Tom has 3 boxes of 4 apples and eats 2. How many apples are left?"
GOOD = "3 * 4 = 12 apples, 12 - 2 = 10 left.\n#### 10"
BAD = "3 * 4 = 13 apples, however I am not sure, approximately 13 - 2 = 11 left"


class Fixed:
    """An estimator with a fixed confidence."""

    kind = "estimate"

    def __init__(self, name: str, confidence: float | None, passed: bool) -> None:
        self.name, self.confidence, self.passed = name, confidence, passed

    def check(self, answer: CandidateAnswer) -> Judgement:
        return Judgement(self.passed, (f"fixed {self.confidence}",), self.confidence)


def run(validators: list[Any], policy: ValidationPolicy, text: str = GOOD, **fields: Any) -> Any:
    steps = validation_steps(
        CandidateAnswer(QUESTION, text, "stop", **fields), validators, policy, True, calls=False
    )
    return drive(steps, no_calls)


def test_scorer_passes_a_sound_answer_and_fails_a_broken_one() -> None:
    policy = ValidationPolicy()
    validators = get_validators(["structural", "scorer"], policy)
    good, bad = run(validators, policy).verdict, run(validators, policy, BAD).verdict
    assert good["passed"] and good["failed"] == [] and good["confidence"] > 0.7
    assert not bad["passed"] and bad["failed"] == ["scorer"]
    assert bad["reasons"][0].startswith("scorer: P(wrong) 0.")
    assert ">= 0.3" in bad["reasons"][0] and "arithmetic_mismatches" in bad["reasons"][0]
    assert set(bad["judgements"]) == {"structural", "scorer"}


def test_cost_weighted_risk_favours_cheap_escalations_within_bounds() -> None:
    typical = int(TYPICAL_ESCALATION_CHARS)
    assert cost_weighted(0.4, typical, 0) == pytest.approx(0.4)
    # A quarter of the typical length: twice the risk; four times it: half.
    assert cost_weighted(0.2, typical // 4, 0) == pytest.approx(0.4)
    assert cost_weighted(0.4, typical * 4, 0) == pytest.approx(0.2)
    # Answer characters count twice (the frontier's reply is priced above its input).
    assert cost_weighted(0.4, 0, typical // 2) == pytest.approx(0.4)
    # Far outside the training lengths the weight stops at 2x / 0.5x; risk stays within [0, 1].
    assert cost_weighted(0.3, 1, 0) == pytest.approx(0.6)
    assert cost_weighted(0.8, typical * 100, 0) == pytest.approx(0.4)
    assert cost_weighted(0.9, 1, 0) == 1.0


def test_an_escalation_reads_the_whole_conversation_when_there_is_one() -> None:
    lone = CandidateAnswer(prompt="What is 2+3?", text="5", finish_reason="stop")
    assert frontier_input_chars(lone) == len("What is 2+3?")
    history = (HumanMessage("x" * 3000), AIMessage("y" * 1000), HumanMessage("What is 2+3?"))
    chat = replace(lone, messages=history)
    assert frontier_input_chars(chat) == 4000 + len("What is 2+3?")
    # The same answer late in a long chat costs more to escalate, so its risk weighs less.
    aware = ScorerValidator(ValidationPolicy())
    lone_risk, chat_risk = (1 - (aware.check(c).confidence or 0.0) for c in (lone, chat))
    assert chat_risk < lone_risk


def test_scorer_verdict_and_confidence_use_the_same_cost_weighted_risk() -> None:
    # The replay sweeps thresholds over 1 - confidence: it must be the risk the verdict used.
    aware = ValidationPolicy()
    plain = replace(aware, scorer_cost_aware=False)
    answer = CandidateAnswer(QUESTION, BAD, "stop")
    p_wrong = ScorerValidator(plain).model.probability_wrong(QUESTION, BAD)
    weighted = ScorerValidator(aware).check(answer)
    unweighted = ScorerValidator(plain).check(answer)
    assert unweighted.confidence == pytest.approx(1 - p_wrong)
    assert weighted.confidence == pytest.approx(1 - cost_weighted(p_wrong, len(QUESTION), len(BAD)))
    assert weighted.passed == (1 - weighted.confidence < aware.scorer_threshold)
    assert "cost-weighted" in weighted.reasons[0] and "cost-weighted" not in unweighted.reasons[0]
    # A short answer to a short question costs little to escalate: it weighs more than P(wrong).
    assert weighted.confidence < unweighted.confidence


def test_scorer_cost_aware_comes_from_the_context_and_must_be_a_boolean() -> None:
    assert RouterContext().validation_policy().scorer_cost_aware is True
    off = RouterContext(scorer_cost_aware=False).validation_policy()
    assert off.scorer_cost_aware is False
    with pytest.raises(ConfigurationError, match="scorer_cost_aware must be true or false"):
        RouterContext(scorer_cost_aware="no")  # type: ignore[arg-type]


def test_all_mode_stops_at_the_first_failure() -> None:
    policy = ValidationPolicy()
    outcome = run([Fixed("a", 0.2, False), Fixed("b", 0.9, True)], policy)
    assert [name for name, _ in outcome.judgements] == ["a"]
    assert outcome.verdict["failed"] == ["a"]


def test_mean_mode_averages_measured_estimators_and_ignores_unmeasured() -> None:
    policy = ValidationPolicy(validation_combine="mean", min_confidence=0.5)
    kept = run([Fixed("a", 0.3, False), Fixed("b", 0.9, True), Fixed("c", None, True)], policy)
    assert kept.verdict["passed"] and kept.verdict["confidence"] == 0.6
    low = run([Fixed("a", 0.3, False), Fixed("b", 0.5, True)], policy).verdict
    assert not low["passed"] and low["failed"] == ["a", "b"]
    assert low["reasons"][-1] == "mean confidence 0.400 below 0.5"


def test_mean_mode_still_gates_on_checks() -> None:
    policy = ValidationPolicy(validation_combine="mean")
    verdict = run(
        [*get_validators(["structural"], policy), Fixed("b", 1.0, True)], policy, ""
    ).verdict
    assert not verdict["passed"] and verdict["failed"] == ["structural"]


def test_a_failed_local_call_never_passes_even_with_validation_off() -> None:
    steps = validation_steps(
        CandidateAnswer(QUESTION, "", None, error="Timeout"), [], ValidationPolicy(), False
    )
    outcome = drive(steps, no_calls)
    assert outcome.verdict["passed"] is False
    assert outcome.verdict["reasons"] == ["local call failed: Timeout"]
