"""Answer features and the answer scorer's file format."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from asymroute.learning.answer_trainer import fit_answer_scorer
from asymroute.validators.answer_features import (
    ANSWER_FEATURES,
    answer_features,
    arithmetic_consistency,
    computed_values,
    final_answer_text,
    safe_eval,
)
from asymroute.validators.answer_fit import ANSWER_FIT_FEATURES, last_step_operations
from asymroute.validators.answer_scorer import AnswerScorerFileError, load_answer_scorer

QUESTION = "Tom has 3 boxes of 4 apples and eats 2. How many apples are left?"


def feature(prompt: str, answer: str, name: str) -> float:
    return answer_features(prompt, answer)[ANSWER_FEATURES.index(name)]


def test_arithmetic_is_re_evaluated_in_annotations_and_prose() -> None:
    text = "He has 3 * 4 = <<3*4=12>>12 apples, then 12 - 2 = 9 left.\n#### 9"
    assert arithmetic_consistency(text) == (3, 1)  # the annotation, its prose twin, 12 - 2 = 9
    assert computed_values(text) == [12.0, 12.0, 9.0]


def test_safe_eval_takes_only_arithmetic() -> None:
    assert safe_eval("$1,200 x 2") == 2400.0
    assert safe_eval("50%") == 0.5
    assert safe_eval("__import__('os')") is None
    assert safe_eval("2 ** 99999") is None


@pytest.mark.parametrize(
    ("text", "final"),
    [
        ("so 10.\n#### 10", "10"),
        ("The answer is: $7.50", "$7.50"),
        ("\\boxed{42}", "42"),
        ("10", None),
    ],
)
def test_final_answer_markers(text: str, final: str | None) -> None:
    assert final_answer_text(text) == final


def test_features_flag_what_goes_wrong() -> None:
    good = "3 * 4 = 12 apples, 12 - 2 = 10 left.\n#### 10"
    bad = "3 * 4 = 13 apples, however I am not sure, approximately 13 - 2 = 11 left"
    assert feature(QUESTION, good, "final_matches_last_computed") == 1.0
    assert feature(QUESTION, bad, "final_missing") == 1.0
    assert feature(QUESTION, bad, "arithmetic_mismatches") > 0
    assert feature(QUESTION, bad, "hedges") > feature(QUESTION, good, "hedges")
    assert feature(QUESTION, "#### 10", "question_numbers_unused_share") == 1.0
    assert len(answer_features(QUESTION, good)) == len(ANSWER_FEATURES)


def test_shipped_scorer_ranks_a_broken_answer_above_a_sound_one() -> None:
    scorer = load_answer_scorer(None)
    good = "3 * 4 = 12 apples, 12 - 2 = 10 left.\n#### 10"
    bad = "3 * 4 = 13 apples, however I am not sure, approximately 13 - 2 = 11 left"
    assert scorer.probability_wrong(QUESTION, bad) > 0.5 > scorer.probability_wrong(QUESTION, good)
    assert scorer.meta["weak"] == "mistralai/Mixtral-8x7B-Instruct-v0.1"


def test_scorer_file_round_trip_and_errors(tmp_path: Path) -> None:
    rows = np.array([answer_features(QUESTION, a) for a in ("#### 10", "13 apples", "x", "#### 9")])
    scorer = fit_answer_scorer(rows, [0, 1, 1, 0], l2=1.0)
    path = tmp_path / "s.json"
    scorer.save(path)
    loaded = load_answer_scorer(str(path))
    assert loaded.probability_wrong(QUESTION, "#### 10") == pytest.approx(
        scorer.probability_wrong(QUESTION, "#### 10")
    )
    data = json.loads(path.read_text())
    data["features"] = data["features"][:-1]
    path.write_text(json.dumps(data))
    load_answer_scorer.cache_clear()
    with pytest.raises(AnswerScorerFileError, match="trained on other answer features"):
        load_answer_scorer(str(path))
    with pytest.raises(AnswerScorerFileError, match="does not exist"):
        load_answer_scorer(str(tmp_path / "missing.json"))
    (tmp_path / "router.json").write_text('{"format": "asymroute-logistic/1"}')
    with pytest.raises(AnswerScorerFileError, match="is not an answer scorer"):
        load_answer_scorer(str(tmp_path / "router.json"))


def fit(prompt: str, answer: str) -> dict[str, float]:
    row = answer_features(prompt, answer)
    return {name: row[ANSWER_FEATURES.index(name)] for name in ANSWER_FIT_FEATURES}


def test_answer_fit_features_read_the_question_against_the_answer() -> None:
    question = "A shop sells 3 dozen eggs each week. How many more eggs than 20 does it sell?"
    sound = "3 x 12 = <<3*12=36>>36 eggs, and 36 - 20 = <<36-20=16>>16 more.\n#### 16"
    wrong = "It sells 3 + 20 = <<3+20=23>>23 eggs.\n#### 23.5"
    good, bad = fit(question, sound), fit(question, wrong)
    assert good["last_step_subtracts"] == 1.0 and good["last_step_adds"] == 0.0
    assert bad["last_step_adds"] == 1.0 and bad["difference_without_subtraction"] == 1.0
    assert good["question_asks_difference"] == good["question_asks_per_item"] == 1.0
    assert bad["final_not_integer_for_count"] == 1.0 and good["final_not_integer_for_count"] == 0
    assert bad["dozen_without_twelve"] == 1.0 and good["dozen_without_twelve"] == 0.0
    assert bad["week_without_seven"] == good["week_without_seven"] == 1.0
    # final 16 against the largest question number 20: log10(17 / 21)
    assert good["log_final_to_largest_question_number"] == pytest.approx(math.log10(17 / 21))
    # 4 equations (2 annotations + their prose twins) for 2 numbers + "dozen": log(5 / 4)
    assert good["log_steps_to_question_numbers"] == pytest.approx(math.log(5 / 4))


def test_answer_fit_features_catch_looping_and_rounding_excuses() -> None:
    question = "Half of 7 apples are eaten. What percent of the apples are left?"
    looping = "the apples the apples the apples the apples #### 3"
    excuse = "7 / 2 = 3.5, since you can't have half an apple, 4 are left.\n#### 4"
    assert fit(question, looping)["distinct_word_share"] == pytest.approx(2 / 8)  # the, apples
    assert fit(question, excuse)["integer_rounding_excuse"] == 1.0
    assert fit(question, excuse)["last_step_divides"] == 1.0
    assert fit(question, excuse)["percent_without_conversion"] == 1.0
    assert (
        fit(question, "50% of 7 = 3.5, so 0.5 are left #### 50")["percent_without_conversion"] == 0
    )
    assert fit(question, looping)["question_multiplier_words"] == 1.0  # "half"


def test_last_step_operations_normalise_operators() -> None:
    assert last_step_operations("$2 x 3 + 1") == "*+"
    assert last_step_operations("12 ÷ 4 - 1") == "-/"
    assert last_step_operations("") == ""
