"""Requests in other languages: the two development sets' shape, and the translated training
conversations (measured by bench/multilingual_probe.py, not trained on by the shipped router)."""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources

import numpy as np

from asymroute.learning import written_conversations
from bench.support.conversation_sets import (
    MULTILINGUAL_DEV,
    MULTILINGUAL_MATCHED,
    MULTILINGUAL_SETS,
    SETS,
    labelled_turns,
)


def lines(path) -> list[dict]:  # type: ignore[no-untyped-def]
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def test_each_set_holds_ten_languages_with_both_labels_in_equal_numbers() -> None:
    for path, per_label in ((MULTILINGUAL_DEV, 12), (MULTILINGUAL_MATCHED, 10)):
        items = lines(path)
        counts = Counter((item["lang"], item["frontier"]) for item in items)

        assert len({item["lang"] for item in items}) == 10
        assert set(counts.values()) == {per_label}
        assert "English" not in {item["lang"] for item in items}
        assert all(len(item["turns"]) == 1 for item in items)


def test_in_the_matched_set_length_does_not_give_the_label_away() -> None:
    items = lines(MULTILINGUAL_MATCHED)
    length = np.array([len(item["turns"][0]) for item in items])
    hard = np.array([item["frontier"] for item in items])

    # Written as easy/hard pairs on one topic, the hard one 0.7 to 1.3 times the easy one's length.
    pairs = length.reshape(-1, 2)
    assert (hard.reshape(-1, 2) == [False, True]).all()
    ratio = pairs[:, 1] / pairs[:, 0]
    assert ((ratio >= 0.7) & (ratio <= 1.3)).all()
    # A router ranking by length alone would be close to random here.
    auc = np.mean(length[hard][:, None] > length[~hard][None, :])
    assert 0.4 < auc < 0.6


def test_the_sets_are_scored_with_the_other_development_sets() -> None:
    assert set(MULTILINGUAL_SETS) <= set(SETS)
    assert len(labelled_turns(MULTILINGUAL_MATCHED)) == 200


def test_a_translation_keeps_its_source_label_topic_and_grade_but_not_its_words() -> None:
    source = written_conversations.load()
    raw = resources.files("asymroute.learning") / "data" / "conversations_translated.jsonl"
    translations = lines(raw)

    assert len(translations) > 500 and len({t["lang"] for t in translations}) == 11
    for item in translations:
        original = source[item["source"]]
        assert item["frontier"] == original.frontier and item["topic"] == original.topic
        assert tuple(item["judge"]) == original.judge
        assert len(item["turns"]) == len(original.turns) and tuple(item["turns"]) != original.turns


def test_the_shipped_router_learns_from_the_english_items_only() -> None:
    english, everything = written_conversations.load(), written_conversations.load(translated=True)

    assert len(everything) > len(english) > 2000
    assert everything[: len(english)] == english
