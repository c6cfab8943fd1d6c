"""The learned classifier: train -> save -> load gives the same scores; files are checked."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from asymroute.classifiers import get_classifier
from asymroute.classifiers.features import FeatureSpec, Vocabulary, extract, structural_values
from asymroute.classifiers.learned import LearnedClassifier
from asymroute.classifiers.logistic_model import LogisticModel
from asymroute.errors import ConfigurationError
from asymroute.evaluation.datasets import load_labeled
from asymroute.learning import anchors
from asymroute.learning.prompt_trainer import train_prompt_router
from asymroute.learning.recipes import CANDIDATES, Recipe
from asymroute.learning.selection import inner_folds
from asymroute.learning.sparse_fit import fit_logistic
from asymroute.learning.trainers import TrainOptions, get_trainer

EASY = [f"What is {i}+{i}?" for i in range(20)]
HARD = [
    f"Prove theorem {i} about integrals of polynomial equations step by step." for i in range(20)
]


def tiny_data(tmp_path: Path) -> Path:
    rows = ["prompt,small,big"]
    rows += [f'"{p}",True,True' for p in EASY]
    rows += [f'"{p}",False,True' for p in HARD]
    path = tmp_path / "train.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_features_are_stable_across_processes_and_calls() -> None:
    spec = FeatureSpec(hash_bits=10)
    first = extract("Compute 3 + 4, then explain.", spec)
    second = extract("Compute 3 + 4, then explain.", spec)

    assert first == second
    assert all(0 <= i < spec.size for i in first[0])
    assert len(first[0]) == len(set(first[0]))


def test_fit_separates_easy_from_hard_prompts() -> None:
    model = fit_logistic(EASY + HARD, [0] * 20 + [1] * 20, spec=FeatureSpec(hash_bits=12))

    easy = np.mean([model.probability(p) for p in EASY])
    hard = np.mean([model.probability(p) for p in HARD])
    assert hard > easy + 0.3


@pytest.mark.parametrize("recipe", [None, "words+dense/gain/l2=0.01"])
def test_train_save_load_gives_the_same_scores(tmp_path: Path, recipe: str | None) -> None:
    data = load_labeled([tiny_data(tmp_path)], "small", "big")
    model = get_trainer("prompt")(data, TrainOptions(show_progress=False, recipe=recipe))
    path = tmp_path / "router.json"
    model.save(path)

    loaded = LogisticModel.load(path)
    classifier = get_classifier(f"learned:{path}")

    for prompt in [*EASY[:3], *HARD[:3], "unseen prompt"]:
        assert loaded.probability(prompt) == pytest.approx(model.probability(prompt), abs=1e-6)
        assert classifier.score(prompt).score == pytest.approx(model.probability(prompt), abs=1e-4)
    assert json.loads(path.read_text())["meta"]["weak"] == "small"
    assert classifier.name == f"learned:{path}"


def test_trained_default_share_puts_a_quarter_of_training_prompts_above_half(
    tmp_path: Path,
) -> None:
    data = load_labeled([tiny_data(tmp_path)], "small", "big")
    model = train_prompt_router(data, TrainOptions(show_progress=False))

    share = np.mean([model.probability(p) >= 0.5 for p in data.prompts])
    assert share == pytest.approx(0.25, abs=0.03)


def test_shipped_default_scores_within_unit_interval_with_reasons() -> None:
    classifier = LearnedClassifier()

    for prompt in ["", "hi", "What is 2+3?", "x" * 50_000, "```python\ndef f(): pass\n```"]:
        score = classifier.score(prompt)
        assert 0.0 <= score.score <= 1.0
        assert score.reasons[0].startswith("learned score ")


def test_a_changed_file_is_reloaded(tmp_path: Path) -> None:
    data = load_labeled([tiny_data(tmp_path)], "small", "big")
    path = tmp_path / "r.json"
    model = train_prompt_router(data, TrainOptions(show_progress=False))
    model.save(path)
    before = get_classifier(f"learned:{path}").score(HARD[0]).score
    model.bias += 2.0
    model.save(path)

    after = get_classifier(f"learned:{path}").score(HARD[0]).score

    assert after > before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("not json", "is not readable JSON"),
        ('{"format": "other"}', "is not an asymroute router"),
        ('{"format": "asymroute-logistic/1"}', "is damaged"),
    ],
)
def test_bad_router_files_are_configuration_errors(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "r.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")

    with pytest.raises(ConfigurationError, match=message):
        get_classifier(f"learned:{path}")


def test_only_file_classifiers_take_a_path() -> None:
    with pytest.raises(ConfigurationError, match="only embedding, learned take a model file"):
        get_classifier("heuristic:x.json")


def test_unknown_training_target_lists_the_known_ones() -> None:
    with pytest.raises(ConfigurationError, match="unknown training target 'nope'; choose one of: "):
        get_trainer("nope")


def test_training_chooses_its_recipe_by_inner_cross_validation(tmp_path: Path) -> None:
    data = load_labeled([tiny_data(tmp_path)], "small", "big")

    model = train_prompt_router(data, TrainOptions(show_progress=False))

    scores = model.meta["inner_cv_apgr"]
    assert set(scores) == {c.name for c in CANDIDATES}
    assert model.meta["recipe"] == max(CANDIDATES, key=lambda c: scores[c.name]).name
    assert model.meta["anchors"]["local"] == len(anchors.LOCAL)


def test_recipes_parse_their_own_names_and_reject_bad_ones() -> None:
    for recipe in CANDIDATES:
        assert Recipe.parse(recipe.name) == recipe
    with pytest.raises(ValueError, match="pairwise is dense only"):
        Recipe.parse("words+dense/pairwise/l2=0.1")


def test_inner_folds_keep_groups_whole_and_split_a_single_group_at_random() -> None:
    groups = [f"subject{i % 7}" for i in range(70)]
    folds = inner_folds(groups, k=5)
    for name in set(groups):
        assert len({folds[i] for i, g in enumerate(groups) if g == name}) == 1
    assert set(folds) == set(range(5))

    single = inner_folds(["gsm8k"] * 50, k=5)
    assert sorted(np.bincount(single)) == [10] * 5


def test_vocabulary_rates_rare_and_unknown_words_above_common_ones() -> None:
    corpus = ["the cat sat"] * 10 + ["the dog ran"] * 3 + ["the quasar"] * 3
    vocabulary = Vocabulary.build(corpus, min_df=3)

    assert vocabulary.idf["the"] < vocabulary.idf["cat"] < vocabulary.idf["quasar"]
    assert "zygote" not in vocabulary.idf and vocabulary.unknown_idf >= vocabulary.idf["quasar"]
    mean_common = structural_values("the cat", vocabulary)["idf_mean"]
    assert structural_values("the zygote", vocabulary)["idf_mean"] > mean_common


def test_dense_features_read_question_options_numbers_and_cues() -> None:
    prompt = "Which is NOT true?\nA. 12 apples\nB. then 3\nC. each 1,500\nD. none\nAnswer:"
    values = structural_values(prompt)

    assert values["choices"] == 1.0
    assert values["log_stem_chars"] == pytest.approx(np.log1p(prompt.index("A.")))
    assert values["emphasised_negation"] == 1.0
    assert values["log_max_number"] == pytest.approx(np.log1p(1500))
    assert values["multistep_terms"] == pytest.approx(np.log1p(2))
    assert structural_values("Write a Python function that sorts a list")["code_request"] == 1.0


# Everyday gateway traffic, none of it among the training anchors (asymroute.learning.anchors).
EVERYDAY_LOCAL = [
    "Hi",
    "hello!",
    "Hello, how are you?",
    "Thanks!",
    "Good night",
    "What is 2+3?",
    "What's 12 times 3?",
    "What is the capital of France?",
    "Who painted the Mona Lisa?",
    "How many minutes are in an hour?",
    "Translate 'good morning' into German",
    "Is 7 a prime number?",
]
EVERYDAY_FRONTIER = [
    "Prove that every bounded monotone sequence of real numbers converges.",
    "Write a Python function that finds the longest palindromic substring in O(n^2) time, "
    "with tests.",
    "Implement a binary search tree with insertion, deletion and in-order traversal in C++.",
    "Design a scalable notification service for 50 million users and explain the trade-offs.",
    "Derive the formula for the variance of a binomial distribution.",
    "Debug this JavaScript: `for (var i=0;i<5;i++){ setTimeout(()=>console.log(i), 0) }` "
    "prints 5 five times; explain why and fix it.",
    "Prove by induction that 1 + 2 + ... + n = n(n+1)/2.",
    "Analyze the security weaknesses of this login flow and propose fixes: passwords are hashed "
    "with MD5 and sessions never expire.",
    "Write a Rust program that reads a CSV file and computes per-column statistics, handling "
    "malformed rows.",
    "A shop sells pens at $3 each and notebooks at $5 each. Maria buys twice as many pens as "
    "notebooks, spends $66 in total and then returns 2 notebooks. How many pens did she buy "
    "and how much did she spend after the return? Explain each step.",
    "Refactor this class into smaller functions and add type hints:\n```python\nclass Report:\n"
    "    def run(self, rows):\n        out = []\n        for r in rows:\n"
    "            if r['x'] > 3: out.append(r)\n        return out\n```",
    "Compare the time complexity of merge sort and heap sort and justify which is better for "
    "external sorting of 1 TB of data.",
]


def test_everyday_prompts_take_the_expected_tier_at_the_default_threshold() -> None:
    assert not set(EVERYDAY_LOCAL + EVERYDAY_FRONTIER) & set(anchors.LOCAL + anchors.FRONTIER)
    classifier = LearnedClassifier()

    local = {p: classifier.score(p).score for p in EVERYDAY_LOCAL}
    frontier = {p: classifier.score(p).score for p in EVERYDAY_FRONTIER}

    assert all(score < 0.5 for score in local.values()), local
    assert all(score >= 0.5 for score in frontier.values()), frontier


def test_shipped_default_records_its_recipe_and_threshold_share() -> None:
    meta = LearnedClassifier().model.meta

    assert meta["strong_share_at_0_5"] == 0.25
    assert meta["recipe"] in {c.name for c in CANDIDATES}
    assert meta["training_command"].startswith("asymroute train ")
