"""The structural validator and the validator registry."""

from __future__ import annotations

import pytest

from asymroute.errors import ConfigurationError
from asymroute.validators import VALIDATORS, CandidateAnswer, Judgement, get_validators
from asymroute.validators.structural import StructuralValidator


def check(text: str, finish_reason: str | None = "stop", error: str | None = None) -> Judgement:
    candidate = CandidateAnswer(
        prompt="What is 2+3?", text=text, finish_reason=finish_reason, error=error
    )
    return StructuralValidator().check(candidate)


def test_good_answer_passes() -> None:
    assert check("2 + 3 = 5.") == Judgement(True, ("answer is complete and non-empty",))


@pytest.mark.parametrize("text", ["", "   ", "\n\t \n"])
def test_empty_or_whitespace_answer_fails(text: str) -> None:
    assert check(text) == Judgement(False, ("empty answer",))


@pytest.mark.parametrize(
    "text",
    [
        "I'm sorry, but I can't help with that.",
        "I cannot do that.",
        "I can't answer this question.",
        "As an AI language model, I do not have opinions.",
        "Sorry, but I won't write that.",
        "Unfortunately, I am not able to browse the web.",
        "I am unable to access that file.",
        "**I'm sorry**, that is not something I can do.",
    ],
)
def test_refusal_fails(text: str) -> None:
    judgement = check(text)

    assert judgement.passed is False
    assert judgement.reasons == ("refusal: " + text[:80],)


def test_refusal_with_typographic_apostrophes_fails() -> None:
    # Chat models often write ’ (U+2019) rather than ' in contractions.
    judgement = check("I’m sorry, but I can’t help with that.")

    assert judgement.passed is False
    assert judgement.reasons[0].startswith("refusal: ")


@pytest.mark.parametrize(
    "text",
    [
        "Paris. You can't go wrong visiting it in spring.",
        "The function cannot return None, because every branch returns an int.",
        "I can help: 2 + 3 = 5.",
        "It cannot be simplified further: 5.",
    ],
)
def test_answer_merely_containing_refusal_words_passes(text: str) -> None:
    assert check(text).passed is True


@pytest.mark.parametrize("reason", ["length", "max_tokens"])
def test_cut_off_answer_fails_as_truncated(reason: str) -> None:
    assert check("The answer is", finish_reason=reason) == Judgement(
        False, (f"truncated answer (finish reason {reason!r})",)
    )


def test_empty_and_truncated_answer_reports_both() -> None:
    assert check("", finish_reason="length").reasons == (
        "empty answer",
        "truncated answer (finish reason 'length')",
    )


def test_failed_call_fails_with_the_error() -> None:
    judgement = check("", finish_reason=None, error="ConnectionError: refused")

    assert judgement == Judgement(False, ("local call failed: ConnectionError: refused",))


def test_failed_call_fails_even_with_text() -> None:
    assert check("5", error="TimeoutError").passed is False


# --- registry ------------------------------------------------------------------------------


def test_get_validators_builds_each_named_validator() -> None:
    validators = get_validators(["structural", "structural"])

    assert [v.name for v in validators] == ["structural", "structural"]
    assert all(isinstance(v, StructuralValidator) for v in validators)
    assert sorted(VALIDATORS) == [
        "confidence",
        "consistency",
        "format",
        "grounding",
        "scorer",
        "self_verify",
        "structural",
        "tool_calls",
    ]


def test_get_validators_accepts_a_tuple() -> None:
    assert [v.name for v in get_validators(("structural",))] == ["structural"]


def test_get_validators_rejects_unknown_names() -> None:
    with pytest.raises(ConfigurationError) as raised:
        get_validators(["structural", "llm_judge", "regex"])

    message = str(raised.value)
    assert "unknown validator(s) 'llm_judge', 'regex'" in message
    names = "confidence, consistency, format, grounding, scorer, self_verify, structural"
    assert f"choose from: {names}" in message


@pytest.mark.parametrize("names", [[], (), "structural"])
def test_get_validators_rejects_empty_lists_and_bare_strings(names: object) -> None:
    names_list = "confidence, consistency, format, grounding, scorer, self_verify, structural"
    with pytest.raises(ConfigurationError, match=f"non-empty list of names from: {names_list}"):
        get_validators(names)  # type: ignore[arg-type]
