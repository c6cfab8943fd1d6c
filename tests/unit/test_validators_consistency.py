"""consistency: the re-solutions it asks for, final-answer comparison, agreement, replay."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from asymroute.context import RouterContext
from asymroute.effects import ModelCall
from asymroute.errors import ConfigurationError
from asymroute.validators.base import CandidateAnswer, ValidationPolicy
from asymroute.validators.consistency import (
    ConsistencyValidator,
    final_answer_key,
    resample_messages,
    same_answer,
)
from tests.unit.steps_driver import drive_scripted, scripted_call

QUESTION = "A shirt costs $1,200 and is 25% off. What does it cost now?"
ANSWER = CandidateAnswer(QUESTION, "25% of 1200 is 300.\nThe answer is $900.", "stop")


def reply(text: str, error: str | None = None) -> ModelCall:
    return scripted_call(text, error)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("steps...\nAnswer: $1,200", ("number", 1200.0)),
        ("so 3 + 4 = 7\nFinal answer: 7 apples.", ("number", 7.0)),
        ("#### 42", ("number", 42.0)),
        ("The answer is 3/4", ("number", 0.75)),
        ("\\boxed{-5}", ("number", -5.0)),
        ("Answer: (B) because the rest are wrong", ("choice", "B")),
        ("Answer: C", ("choice", "C")),
        ("Answer: D. Paris", ("choice", "D")),
        ("Answer: A dog", ("text", "dog")),
        ("The answer is Paris.", ("text", "paris")),
        ("Answer: the Eiffel Tower!", ("text", "eiffel tower")),
        ("3 boxes x 4 apples = 12 apples.", ("number", 12.0)),
        ("He had 5 in 1990.\nIt was a good year for him.", None),
        ("Paris is the capital of France.", None),
        ("", None),
    ],
)
def test_final_answer_key(text: str, key: object) -> None:
    assert final_answer_key(text) == key


def test_numbers_compare_numerically_and_kinds_never_match() -> None:
    assert same_answer(("number", 900.0), ("number", 900.0000000001))
    assert not same_answer(("number", 900.0), ("number", 901.0))
    assert not same_answer(("choice", "B"), ("text", "b"))


def test_a_short_text_answer_agrees_with_a_longer_one_that_states_it() -> None:
    assert same_answer(("text", "paris"), ("text", "paris the capital of france"))
    assert same_answer(("text", "new york city"), ("text", "new york city"))
    assert not same_answer(("text", "york"), ("text", "new yorkshire"))
    assert not same_answer(("text", "lyon"), ("text", "paris the capital of france"))


def test_asks_k_times_with_differing_instructions_and_agreement_passes() -> None:
    validator = ConsistencyValidator(ValidationPolicy(consistency_samples=3))
    judgement, sent = drive_scripted(validator.steps(ANSWER), [reply("Answer: 900 dollars")] * 3)

    assert len(sent) == 3
    assert all(m[0].type == "system" and m[-1].content == QUESTION for m in sent)
    assert len({m[0].content for m in sent}) == 3
    assert judgement.passed and judgement.confidence == 1.0
    assert judgement.reasons == (
        "3/3 resamples reach the same final answer (900; 0 of 3 stated none or failed)",
    )


def test_disagreement_fails_with_its_share() -> None:
    validator = ConsistencyValidator(ValidationPolicy(consistency_samples=3))
    replies = [reply("Answer: 1500"), reply("Answer: 900"), reply("#### 300")]
    judgement, _ = drive_scripted(validator.steps(ANSWER), replies)
    assert not judgement.passed
    assert judgement.confidence == pytest.approx(1 / 3)
    assert judgement.reasons[0].endswith("0 of 3 stated none or failed): below 0.5")


def test_the_threshold_is_the_policys() -> None:
    policy = ValidationPolicy(consistency_samples=2, consistency_min_agreement=1.0)
    judgement, _ = drive_scripted(
        ConsistencyValidator(policy).steps(ANSWER), [reply("Answer: 900"), reply("Answer: 9")]
    )
    assert not judgement.passed and judgement.confidence == 0.5


def test_unstated_and_failed_resamples_are_left_out_and_counted() -> None:
    validator = ConsistencyValidator(ValidationPolicy(consistency_samples=3))
    replies = [reply("I am not sure."), reply("", "Timeout"), reply("Answer: 900")]
    judgement, _ = drive_scripted(validator.steps(ANSWER), replies)
    assert judgement.passed and judgement.confidence == 1.0
    assert "(900; 2 of 3 stated none or failed)" in judgement.reasons[0]


def test_no_stated_answer_at_all_is_unmeasured_not_confident() -> None:
    validator = ConsistencyValidator(ValidationPolicy(consistency_samples=2))
    judgement, _ = drive_scripted(
        validator.steps(ANSWER), [reply("hmm"), reply("", "ConnectionError")]
    )
    assert judgement.passed and judgement.confidence is None
    assert judgement.reasons == (
        "not measured, abstains: none of 2 resamples stated a final answer (ConnectionError)",
    )


def test_prose_without_a_final_answer_is_not_resampled() -> None:
    prose = CandidateAnswer("Tell me about Paris.", "Paris is lovely in spring.", "stop")
    policy = ValidationPolicy(unmeasured_policy="escalate")
    judgement, sent = drive_scripted(ConsistencyValidator(policy).steps(prose), [])
    assert sent == [] and not judgement.passed and judgement.confidence is None
    assert "states no final answer to compare" in judgement.reasons[0]


def test_failed_or_empty_answers_fail_without_calls() -> None:
    for answer in (CandidateAnswer("q", " ", "stop"), CandidateAnswer("q", "", None, "Timeout")):
        judgement, sent = drive_scripted(ConsistencyValidator(ValidationPolicy()).steps(answer), [])
        assert sent == [] and not judgement.passed and judgement.confidence == 0.0


def test_in_replay_check_does_not_pretend_to_compare() -> None:
    judgement = ConsistencyValidator(ValidationPolicy()).check(ANSWER)
    assert judgement.confidence is None and "needs live local calls" in judgement.reasons[0]


def test_resolves_the_whole_conversation_and_keeps_its_system_prompt() -> None:
    conversation = (
        SystemMessage("You are terse."),
        HumanMessage("I buy 3 pens at $2."),
        AIMessage("Noted."),
        HumanMessage("What did I pay?"),
    )
    answer = CandidateAnswer("What did I pay?", "Answer: 6", "stop", messages=conversation)
    messages = resample_messages(answer, 0)
    assert len(messages) == 4 and messages[1:] == list(conversation[1:])
    assert messages[0].content.startswith("You are terse.\n\nSolve the problem step by step.")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"consistency_samples": 0}, "consistency_samples must be an integer from 1 to 15, got 0"),
        ({"consistency_samples": True}, "consistency_samples must be an integer from 1 to 15"),
        ({"consistency_min_agreement": 1.5}, "consistency_min_agreement must be a number within"),
    ],
)
def test_bad_settings_name_the_context_field(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        RouterContext(**fields)
