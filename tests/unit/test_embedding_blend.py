"""The embedding router blended with a `learned` part: chosen by inner CV, saved, explained."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from asymroute.classifiers.embedding_model import EmbeddingRouterModel
from asymroute.learning.embedded_rows import ANCHOR_TASK, EmbeddedRows
from asymroute.learning.embedding_recipes import BLEND_CANDIDATES, EmbeddingRecipe
from asymroute.learning.embedding_trainer import fit, train_on_rows
from tests.unit.test_embedding_router import synthetic_rows


def with_prompts(rows: EmbeddedRows, seed: int) -> EmbeddedRows:
    """Prompts whose count of numbers (a dense feature of `learned`) says whether the strong
    model gains, while the vectors are noise: only the learned part can rank these rows."""
    rng = np.random.default_rng(seed)
    gains = rng.random(len(rows)) < 0.4
    prompts = [
        "Compute " + " then ".join(str(rng.integers(10, 99)) for _ in range(8 if g else 1))
        for g in gains
    ]
    # Where the strong model does not gain, it is sometimes wrong where the weak one is right
    # (as in real data): a `disagree` label then sees both classes.
    strong = gains | (rng.random(len(rows)) < 0.7)
    return replace(rows, weak=~gains, strong=strong, prompts=prompts)


def test_inner_cv_gives_the_learned_part_weight_where_only_it_carries_signal() -> None:
    train = with_prompts(synthetic_rows(seed=4), seed=4)
    extra = with_prompts(synthetic_rows(n=10, seed=5, tasks=1), seed=5)

    model = train_on_rows(train, extra, "minilm", BLEND_CANDIDATES)

    assert "+learned=" in model.meta["recipe"]
    assert model.learned is not None and model.learned_weight > 0
    test = with_prompts(synthetic_rows(seed=6), seed=6)
    scores = model.probabilities(test.vectors, test.dense, test.prompts)
    assert scores[~test.weak].mean() > scores[test.weak].mean() + 0.2


def test_a_blended_file_loads_with_the_same_scores_and_needs_the_prompts(tmp_path: Path) -> None:
    rows = with_prompts(synthetic_rows(), seed=7)
    extra = with_prompts(synthetic_rows(n=10, seed=8, tasks=1), seed=8)
    model = fit(EmbeddingRecipe("linear", l2=0.1, learned=1.0), rows, extra, "minilm")
    path = tmp_path / "blend.json"
    model.save(path)

    loaded = EmbeddingRouterModel.load(path)

    assert np.allclose(
        loaded.probabilities(rows.vectors, rows.dense, rows.prompts),
        model.probabilities(rows.vectors, rows.dense, rows.prompts),
        atol=1e-5,
    )
    with pytest.raises(ValueError, match="pass the prompts"):
        loaded.probabilities(rows.vectors, rows.dense)


def test_a_linear_router_keeps_a_smaller_bank_for_its_reasons() -> None:
    rows = synthetic_rows(n=3000, tasks=2)
    extra = replace(synthetic_rows(n=10, seed=3, tasks=1), tasks=[ANCHOR_TASK] * 10)

    linear = fit(EmbeddingRecipe("linear"), rows, extra, "minilm")
    neighbours = fit(EmbeddingRecipe("neighbours"), rows, extra, "minilm")

    assert len(neighbours.bank) == 3010
    assert len(linear.bank) == 2 * 500 + 10
    assert {n.task for n in linear.nearest(rows.vectors[0], 3)} <= {"task0", "task1", ANCHOR_TASK}
