"""Complexity classifiers: the keyword baseline, the weighted heuristic, and the registry."""

from __future__ import annotations

import pytest

from asymroute.classifiers import CLASSIFIERS, ComplexityScore, get_classifier
from asymroute.classifiers.heuristic import HeuristicClassifier
from asymroute.classifiers.keywords import KeywordClassifier
from asymroute.errors import ConfigurationError

CODE_FIX_REQUEST = "Fix the bug in this function:\n```python\ndef add(a, b):\n    return a - b\n```"
NUMBERED_TASK = (
    "1. Parse the log file.\n"
    "2. Count the errors per hour.\n"
    "3. Plot the counts.\n"
    "The script must run without using pandas."
)
BACKGROUND = "Our team maintains a billing service that has grown over the years. " * 15


# --- keywords -------------------------------------------------------------------------------


@pytest.mark.parametrize("keyword", ["refactor", "optimize", "analyze", "debug"])
def test_keyword_classifier_scores_each_keyword_as_complex(keyword: str) -> None:
    score = KeywordClassifier().score(f"Please {keyword} my code.")

    assert score == ComplexityScore(1.0, (f"keyword: {keyword}",))


def test_keyword_classifier_ignores_case_and_matches_inflections() -> None:
    score = KeywordClassifier().score("DEBUGGING this, then Refactoring that")

    assert score.score == 1.0
    assert score.reasons == ("keyword: debug", "keyword: refactor")


def test_keyword_classifier_does_not_take_optimistic_for_optimize() -> None:
    assert KeywordClassifier().score("I am optimistic about this.") == ComplexityScore(
        0.0, ("no complex keyword",)
    )


def test_keyword_classifier_scores_prompt_without_keywords_as_simple() -> None:
    assert KeywordClassifier().score("What is 2+3?") == ComplexityScore(
        0.0, ("no complex keyword",)
    )


# --- heuristic: simple ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "prompt", ["What is 2+3?", "Write a haiku about autumn.", "Who wrote Hamlet?"]
)
def test_heuristic_scores_simple_prompts_below_half(prompt: str) -> None:
    score = HeuristicClassifier().score(prompt)

    assert score.score < 0.5
    assert score.reasons == ("no complexity signal",)


# --- heuristic: complex --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "reason"),
    [
        ("Refactor this module to use dependency injection.", "demanding task: refactor"),
        ("Debug why my Flask app returns 500 errors on login.", "demanding task: debug"),
        ("Design a rate limiter for a public API.", "demanding task: design"),
        ("Prove that the square root of 2 is irrational.", "demanding task: prove"),
    ],
)
def test_heuristic_scores_a_demanding_verb_as_complex(prompt: str, reason: str) -> None:
    score = HeuristicClassifier().score(prompt)

    assert score.score >= 0.5
    assert any(r.startswith(reason) for r in score.reasons), score.reasons


def test_heuristic_scores_a_code_block_with_a_request_as_complex() -> None:
    # heuristic.py promises that one strong signal, "a code block with a request", crosses 0.5.
    score = HeuristicClassifier().score(CODE_FIX_REQUEST)

    assert any(r.startswith("code:") for r in score.reasons), score.reasons
    assert score.score >= 0.5, score


@pytest.mark.parametrize(
    "prompt",
    [
        "Find the eigenvalues of the matrix [[2, 1], [1, 2]].",
        "What is the derivative of sin(x) * e^x?",
    ],
)
def test_heuristic_scores_advanced_math_as_complex(prompt: str) -> None:
    # heuristic.py promises that one strong signal, "advanced math", crosses 0.5.
    score = HeuristicClassifier().score(prompt)

    assert any(r.startswith("math:") for r in score.reasons), score.reasons
    assert score.score >= 0.5, score


def test_heuristic_scores_math_words_with_notation_as_complex() -> None:
    score = HeuristicClassifier().score("Compute the integral of x^2 from 0 to 1.")

    assert score.score >= 0.5
    assert score.reasons == ("math: integral (+2.0)", "math notation (+0.8)")


def test_heuristic_scores_numbered_steps_with_constraints_as_complex() -> None:
    score = HeuristicClassifier().score(NUMBERED_TASK)

    assert score.score >= 0.5
    assert score.reasons == (
        "multi-step: 3 listed items (+1.2)",
        "constraints: must, without using (+0.8)",
    )


def test_heuristic_scores_a_long_prompt_higher_than_its_short_form() -> None:
    short = HeuristicClassifier().score("Compare our options for the billing service.")
    long = HeuristicClassifier().score(BACKGROUND + "Compare our options for the billing service.")

    assert long.score > short.score
    assert any(r.startswith("long prompt: ") for r in long.reasons), long.reasons


def test_heuristic_scores_a_long_prompt_with_a_request_as_complex() -> None:
    prompt = BACKGROUND + "Compare our options for the next year."
    score = HeuristicClassifier().score(prompt)

    assert len(prompt.split()) == 187
    assert score.score >= 0.5
    assert score.reasons == ("long prompt: 187 words (+1.2)", "reasoning: compare (+0.9)")


# --- heuristic: bounds ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "prompt",
    [
        "",
        "hi",
        CODE_FIX_REQUEST,
        (NUMBERED_TASK + " Refactor, optimize, analyze, debug, prove and derive. ") * 40,
    ],
)
def test_heuristic_scores_stay_within_unit_interval(prompt: str) -> None:
    score = HeuristicClassifier().score(prompt)

    assert 0.0 <= score.score <= 1.0


def test_heuristic_gives_more_weight_to_more_signals() -> None:
    one = HeuristicClassifier().score("Refactor this module.")
    two = HeuristicClassifier().score("Refactor this module and explain why it is better.")

    assert two.score > one.score


# --- registry and score type ---------------------------------------------------------------


def test_get_classifier_returns_each_registered_classifier_by_name() -> None:
    assert sorted(CLASSIFIERS) == ["embedding", "heuristic", "keywords", "learned"]
    assert isinstance(get_classifier("heuristic"), HeuristicClassifier)
    assert isinstance(get_classifier("keywords"), KeywordClassifier)


@pytest.mark.parametrize("name", ["bayes", "", "Heuristic", ["heuristic"]])
def test_get_classifier_rejects_unknown_names_listing_the_valid_ones(name: object) -> None:
    with pytest.raises(ConfigurationError) as raised:
        get_classifier(name)  # type: ignore[arg-type]

    assert "unknown classifier" in str(raised.value)
    assert "heuristic, keywords" in str(raised.value)


@pytest.mark.parametrize("value", [-0.01, 1.01, float("nan")])
def test_complexity_score_rejects_values_outside_unit_interval(value: float) -> None:
    with pytest.raises(ValueError, match="within \\[0, 1\\]"):
        ComplexityScore(value, ())


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_complexity_score_accepts_the_interval_bounds(value: float) -> None:
    assert ComplexityScore(value, ("x",)).score == value
