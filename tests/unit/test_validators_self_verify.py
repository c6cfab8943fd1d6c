"""self_verify: the verification calls it asks for, verdict parsing, agreement, replay fallback."""

from __future__ import annotations

import pytest

from asymroute.effects import ModelCall, drive
from asymroute.validators.base import CandidateAnswer, ValidationPolicy
from asymroute.validators.self_verify import SelfVerifyValidator, parse_verdict
from tests.unit.steps_driver import drive_scripted, no_calls, scripted_call

ANSWER = CandidateAnswer("What is 2+3?", "2 + 3 = 5", "stop")


def reply(text: str, error: str | None = None) -> ModelCall:
    return scripted_call(text, error)


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("Verdict: Correct", True),
        (" correct.", True),
        ("Incorrect. 2+3 is 5", False),
        ("The answer is wrong", False),
        ("It is not correct", False),
        ("5", None),
    ],
)
def test_parse_verdict(text: str, verdict: bool | None) -> None:
    assert parse_verdict(text) is verdict


def test_asks_k_times_with_the_question_and_answer_and_differing_prompts() -> None:
    validator = SelfVerifyValidator(ValidationPolicy(self_verify_samples=3))
    judgement, sent = drive_scripted(validator.steps(ANSWER), [reply("Correct")] * 3)

    assert len(sent) == 3
    for messages in sent:
        assert messages[0].type == "system"
        assert messages[-1].content.endswith("Question: What is 2+3?\nAnswer: 2 + 3 = 5\nVerdict:")
    assert len({m[-1].content for m in sent}) == 3  # rotated few-shot examples
    assert judgement.passed and judgement.confidence == 1.0
    assert judgement.reasons == ("3/3 verdicts say correct (0 of 3 unparsed or failed)",)


def test_majority_incorrect_fails_with_its_share() -> None:
    validator = SelfVerifyValidator(ValidationPolicy(self_verify_samples=3))
    judgement, _ = drive_scripted(
        validator.steps(ANSWER), [reply("Incorrect"), reply("Correct"), reply("Incorrect")]
    )
    assert not judgement.passed
    assert judgement.confidence == pytest.approx(1 / 3)
    assert judgement.reasons == ("1/3 verdicts say correct (0 of 3 unparsed or failed): below 0.5",)


def test_unparsed_and_failed_verifications_are_left_out_and_counted() -> None:
    validator = SelfVerifyValidator(ValidationPolicy(self_verify_samples=3))
    judgement, _ = drive_scripted(
        validator.steps(ANSWER), [reply("5"), reply("", "Timeout"), reply("Correct")]
    )
    assert judgement.passed and judgement.confidence == 1.0
    assert "(2 of 3 unparsed or failed)" in judgement.reasons[0]


def test_no_verdict_at_all_is_unmeasured_not_confident() -> None:
    validator = SelfVerifyValidator(ValidationPolicy(self_verify_samples=2))
    judgement, _ = drive_scripted(
        validator.steps(ANSWER), [reply("hmm"), reply("", "ConnectionError")]
    )
    assert judgement.passed and judgement.confidence is None
    assert judgement.reasons == (
        "not measured, abstains: none of 2 verifications gave a verdict (ConnectionError)",
    )


def test_in_replay_check_does_not_pretend_to_verify() -> None:
    judgement = SelfVerifyValidator(ValidationPolicy()).check(ANSWER)
    assert judgement.confidence is None and "needs live local calls" in judgement.reasons[0]


def test_an_empty_answer_is_not_sent_for_verification() -> None:
    validator = SelfVerifyValidator(ValidationPolicy())
    judgement = drive(validator.steps(CandidateAnswer("q", " ", "stop")), no_calls)
    assert judgement.passed is False
