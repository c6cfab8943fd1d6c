"""Combining validators: all vs mean, short-circuit, revisions, the scorer validator."""

from __future__ import annotations

from typing import Any

from asymroute.validators import get_validators
from asymroute.validators.base import CandidateAnswer, Judgement, ValidationPolicy
from asymroute.validators.run import validation_steps

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
    try:
        next(steps)
    except StopIteration as done:
        return done.value
    raise AssertionError("no call expected")


def test_scorer_passes_a_sound_answer_and_fails_a_broken_one() -> None:
    policy = ValidationPolicy()
    validators = get_validators(["structural", "scorer"], policy)
    good, bad = run(validators, policy).verdict, run(validators, policy, BAD).verdict
    assert good["passed"] and good["failed"] == [] and good["confidence"] > 0.7
    assert not bad["passed"] and bad["failed"] == ["scorer"]
    assert bad["reasons"][0].startswith("scorer: P(wrong) 0.")
    assert ">= 0.3" in bad["reasons"][0] and "arithmetic_mismatches" in bad["reasons"][0]
    assert set(bad["judgements"]) == {"structural", "scorer"}


def test_all_mode_stops_at_the_first_failure() -> None:
    policy = ValidationPolicy()
    outcome = run([Fixed("a", 0.2, False), Fixed("b", 0.9, True)], policy)
    assert [name for name, _ in outcome.judgements] == ["a"]
    assert outcome.verdict["failed"] == ["a"]


def test_mean_mode_averages_measured_estimators_and_ignores_unmeasured() -> None:
    policy = ValidationPolicy(combine="mean", min_confidence=0.5)
    kept = run([Fixed("a", 0.3, False), Fixed("b", 0.9, True), Fixed("c", None, True)], policy)
    assert kept.verdict["passed"] and kept.verdict["confidence"] == 0.6
    low = run([Fixed("a", 0.3, False), Fixed("b", 0.5, True)], policy).verdict
    assert not low["passed"] and low["failed"] == ["a", "b"]
    assert low["reasons"][-1] == "mean confidence 0.400 below 0.5"


def test_mean_mode_still_gates_on_checks() -> None:
    policy = ValidationPolicy(combine="mean")
    verdict = run(
        [*get_validators(["structural"], policy), Fixed("b", 1.0, True)], policy, ""
    ).verdict
    assert not verdict["passed"] and verdict["failed"] == ["structural"]


def test_a_failed_local_call_never_passes_even_with_validation_off() -> None:
    steps = validation_steps(
        CandidateAnswer(QUESTION, "", None, error="Timeout"), [], ValidationPolicy(), False
    )
    try:
        next(steps)
    except StopIteration as done:
        assert done.value.verdict["passed"] is False
        assert done.value.verdict["reasons"] == ["local call failed: Timeout"]
