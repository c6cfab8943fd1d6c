"""The shipped `embedding` router: everyday anchors, explanations, long prompts, conversations."""

from __future__ import annotations

import numpy as np
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from asymroute.classifiers import get_classifier
from asymroute.classifiers.embedding import EmbeddingClassifier
from asymroute.conversation import FollowupPolicy, score_conversation, score_turns
from asymroute.evaluation.metrics import apgr, threshold_curve
from asymroute.learning import anchors
from asymroute.learning.embedding_recipes import CANDIDATES
from bench.support.conversation_sets import MTSTYLE_DEV, labelled_turns
from tests.unit.test_learned_classifier import EVERYDAY_FRONTIER, EVERYDAY_LOCAL


@pytest.fixture(scope="module")
def router() -> EmbeddingClassifier:
    return EmbeddingClassifier()


def test_everyday_prompts_take_the_expected_tier_at_the_default_threshold(
    router: EmbeddingClassifier,
) -> None:
    assert not set(EVERYDAY_LOCAL + EVERYDAY_FRONTIER) & set(anchors.LOCAL + anchors.FRONTIER)

    local = {p: router.score(p).score for p in EVERYDAY_LOCAL}
    frontier = {p: router.score(p).score for p in EVERYDAY_FRONTIER}

    assert all(score < 0.5 for score in local.values()), local
    assert all(score >= 0.5 for score in frontier.values()), frontier


def test_reasons_name_the_nearest_labelled_prompts(router: EmbeddingClassifier) -> None:
    score = router.score("Write a Python function that returns the n-th Fibonacci number.")

    assert score.reasons[0].startswith("embedding router (")
    assert score.reasons[1].startswith("nearest labelled prompts: ")
    tasks = set(router.model.tasks)
    named = [part.split()[0] for part in score.reasons[1].split(": ", 1)[1].split(", ")]
    assert len(named) == 3 and set(named) <= tasks


def test_any_prompt_scores_within_the_unit_interval(router: EmbeddingClassifier) -> None:
    odd = ["", " ", "hi", "x" * 50_000, "数学の問題を解いて", "```python\ndef f(): pass\n```"]
    for prompt in odd:
        assert 0.0 <= router.score(prompt).score <= 1.0


def test_a_long_shared_system_prompt_does_not_move_the_decision(
    router: EmbeddingClassifier,
) -> None:
    system = SystemMessage(
        "You are the support assistant of Example Corp. Always answer politely, cite the "
        "knowledge base, never reveal internal tickets, and escalate billing disputes. " * 60
    )
    policy = FollowupPolicy(mode="latest")
    for prompt in ("Hi", "Prove that there are infinitely many prime numbers."):
        alone = router.score(prompt).score
        with_system = score_conversation([system, HumanMessage(prompt)], router, policy).score
        assert with_system == pytest.approx(alone)


def test_a_shared_prefix_inside_the_user_turn_is_read_past(router: EmbeddingClassifier) -> None:
    few_shot = "".join(
        f"Example {i}: Question: what colour is item {i}? Answer: blue.\n" for i in range(150)
    )
    easy = router.score(few_shot + "Question: Hi, how are you?").score
    hard = router.score(
        few_shot + "Question: implement a lock-free queue in C++ and prove it is linearizable."
    ).score

    assert hard > easy


def test_a_follow_up_keeps_the_tier_of_the_turn_it_continues(router: EmbeddingClassifier) -> None:
    messages = [
        HumanMessage("Write a Python function that merges k sorted linked lists efficiently."),
        AIMessage("def merge(lists): ..."),
        HumanMessage("and make it faster"),
    ]

    assert score_conversation(messages, router, FollowupPolicy()).score >= 0.5


def test_the_shipped_file_records_its_recipe_data_and_command() -> None:
    meta = get_classifier("embedding").model.meta  # type: ignore[attr-defined]

    assert meta["recipe"] in {c.name for c in CANDIDATES}
    assert set(meta["task_rows"]) == {"arc-challenge", "gsm8k", "mbpp", "mmlu", "winogrande"}
    assert meta["written_conversations"] > 1000
    assert "conversations" in meta["threshold_0_5"]
    assert meta["training_command"].startswith("python bench/train_embedding_default.py")


def test_the_default_ranks_an_unseen_conversational_set_far_better_than_learned(
    router: EmbeddingClassifier,
) -> None:
    # 380 labelled turns written independently of the training conversations (never trained
    # on); a perfect router scores 0.803, random 0.5, `learned` 0.585 (docs/evaluation.md).
    items = labelled_turns(MTSTYLE_DEV)
    needs = np.array([label for _, label in items])
    scores = np.array([score_turns(t, router, FollowupPolicy()).score for t, _ in items])
    strong = np.ones(len(needs), dtype=bool)
    curve = threshold_curve("embedding", scores, ~needs, strong)

    assert apgr(curve, float(np.mean(~needs)), 1.0) > 0.68


def test_a_prompt_scored_again_is_not_embedded_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # A chat re-scores its earlier user turns on every request; an agent loop its user turn.
    classifier = EmbeddingClassifier()
    embedded: list[str] = []
    original = classifier.vectors

    def counting(prompts, advance=None):  # type: ignore[no-untyped-def]
        embedded.extend(prompts)
        return original(prompts, advance)

    monkeypatch.setattr(classifier, "vectors", counting)
    first = classifier.score("Prove that there are infinitely many primes.")
    again = classifier.score("Prove that there are infinitely many primes.")
    other = classifier.score("Hi")

    assert again == first and other.score < first.score
    assert embedded == ["Prove that there are infinitely many primes.", "Hi"]
