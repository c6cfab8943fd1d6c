"""The written conversational training set: its file, its weight in training, its CV fold and
where it puts the default threshold."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from asymroute.learning import written_conversations
from asymroute.learning.embedded_rows import CONVERSATION_TASK, EmbeddedRows, balanced_weight
from asymroute.learning.embedding_cv import everyday_splits
from asymroute.learning.embedding_recipes import EmbeddingRecipe, with_conversations
from asymroute.learning.embedding_trainer import fit
from tests.unit.test_embedding_router import synthetic_rows

DEV_SETS = sorted((Path(__file__).resolve().parents[2] / "bench" / "data").glob("*.jsonl"))


def test_the_file_holds_both_labels_in_every_topic_and_no_development_turn() -> None:
    items = written_conversations.load()

    assert len(items) > 1000
    labels = Counter((item.topic, item.frontier) for item in items)
    topics = {item.topic for item in items}
    assert all(labels[(t, True)] and labels[(t, False)] for t in topics)
    assert 0.35 < np.mean([item.frontier for item in items]) < 0.55
    # The development sets measure the router honestly only if it never trained on them.
    assert DEV_SETS
    development = {
        turn.strip().lower()
        for path in DEV_SETS
        for line in path.read_text().splitlines()
        if line.strip()
        for turn in json.loads(line)["turns"]
    }
    assert not [t for item in items for t in item.turns if t.strip().lower() in development]


def test_every_item_carries_a_judge_grade_of_its_last_turn() -> None:
    # bench/graded_labels_probe.py trains on the grades: (weak, strong), integers 1-10.
    grades = [item.judge for item in written_conversations.load()]

    assert all(g is not None for g in grades)
    assert all(isinstance(x, int) and 1 <= x <= 10 for g in grades if g for x in g)


def test_a_multi_turn_item_is_learned_from_all_its_user_turns() -> None:
    item = next(item for item in written_conversations.load() if len(item.turns) > 1)

    assert item.text == "\n\n".join(item.turns)


def conversations(n: int = 50, seed: int = 9) -> EmbeddedRows:
    """Conversation rows whose second coordinate says whether they need the frontier."""
    rows = synthetic_rows(n=n, seed=seed, tasks=1)
    frontier = rows.vectors[:, 1] > 0
    return replace(rows, weak=~frontier, strong=frontier, tasks=[CONVERSATION_TASK] * n)


def test_the_recipe_sets_the_conversations_weight_in_units_of_one_task() -> None:
    rows = synthetic_rows(n=300, tasks=3).plus(conversations())

    for weight in (1.0, 3.0):
        weights = balanced_weight(with_conversations(rows, weight))
        tasks = np.array(rows.tasks)
        task_total = weights[tasks == "task0"].sum()
        assert weights[tasks == CONVERSATION_TASK].sum() == pytest.approx(weight * task_total)


def test_the_everyday_fold_holds_out_each_fifth_of_the_conversations_once() -> None:
    rows, extra = synthetic_rows(), synthetic_rows(n=10, tasks=1).plus(conversations())

    splits = everyday_splits(rows, extra)

    assert len(splits) == 5
    held = sum(len(valid) for _, valid in splits)
    assert held == 50
    for train, valid in splits:
        assert len(train) == len(rows) + len(extra) - len(valid)
        assert set(valid.tasks) == {CONVERSATION_TASK} and valid.strong.all()


def test_without_conversations_the_everyday_fold_scores_the_anchors() -> None:
    rows, anchors = synthetic_rows(), synthetic_rows(n=10, seed=2, tasks=1)

    ((train, valid),) = everyday_splits(rows, anchors)

    assert len(train) == len(rows) and len(valid) == len(anchors)


def test_the_default_threshold_sends_the_labelled_share_of_conversations_to_the_frontier() -> None:
    rows, extra = synthetic_rows(), conversations(n=200)

    model = fit(EmbeddingRecipe("linear", l2=0.1), rows, extra, "minilm")

    sent = model.probabilities(extra.vectors, extra.dense) >= 0.5
    assert abs(np.mean(sent) - np.mean(extra.strong)) <= 1 / 200
    assert "conversations" in model.meta["threshold_0_5"]
