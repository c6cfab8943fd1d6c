"""The embedding router: training on vectors, the model file, and the classifier's checks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from asymroute.classifiers import get_classifier
from asymroute.classifiers.embedding import EmbeddingClassifier
from asymroute.classifiers.embedding_model import DENSE_COLUMNS, EmbeddingRouterModel
from asymroute.errors import ConfigurationError
from asymroute.learning.embedded_rows import EmbeddedRows, balanced_weight
from asymroute.learning.embedding_cv import task_folds
from asymroute.learning.embedding_recipes import CANDIDATES
from asymroute.learning.embedding_trainer import train_on_rows

DIM = 8


def synthetic_rows(n: int = 300, seed: int = 0, tasks: int = 3) -> EmbeddedRows:
    """Vectors whose first coordinate says whether the strong model gains."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, DIM))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    strong_gains = vectors[:, 0] + 0.2 * rng.normal(size=n) > 0.2
    return EmbeddedRows(
        vectors.astype(np.float32),
        rng.normal(size=(n, len(DENSE_COLUMNS))),
        ~strong_gains,
        np.ones(n, dtype=bool),
        np.ones(n),
        [f"task{i % tasks}" for i in range(n)],
    )


def test_training_chooses_a_family_by_inner_cv_and_ranks_held_out_rows() -> None:
    train, test = synthetic_rows(seed=0), synthetic_rows(seed=1)
    extra = synthetic_rows(n=10, seed=2, tasks=1)

    model = train_on_rows(train, extra, "minilm")

    scores = model.meta["inner_cv_apgr"]
    assert set(scores) == {c.name for c in CANDIDATES}
    assert scores[model.meta["recipe"]] == max(scores.values())
    probabilities = model.probabilities(test.vectors, test.dense)
    gains = test.strong & ~test.weak
    assert probabilities[gains].mean() > probabilities[~gains].mean() + 0.2
    share = np.mean(model.probabilities(train.vectors, train.dense) >= 0.5)
    assert share == pytest.approx(0.25, abs=0.03)


def test_save_and_load_give_the_same_scores(tmp_path: Path) -> None:
    rows = synthetic_rows()
    model = train_on_rows(rows, synthetic_rows(n=5, seed=3, tasks=1), "minilm")
    path = tmp_path / "router.json"
    model.save(path)

    loaded = EmbeddingRouterModel.load(path)

    assert np.allclose(
        loaded.probabilities(rows.vectors, rows.dense),
        model.probabilities(rows.vectors, rows.dense),
        atol=1e-5,
    )
    text = path.read_text()
    assert json.loads(text)["tasks"] == ["task0", "task1", "task2"]
    neighbours = loaded.nearest(rows.vectors[0].astype(float), 3)
    assert neighbours[0].similarity == pytest.approx(1.0, abs=0.02)


def test_task_folds_hold_out_whole_tasks_and_weights_balance_them() -> None:
    rows = synthetic_rows(n=40, tasks=4)
    tasks = ["big"] * 30 + ["small"] * 10
    rows = EmbeddedRows(rows.vectors, rows.dense, rows.weak, rows.strong, rows.weight, tasks)

    folds = task_folds(tasks)
    weight = balanced_weight(rows)

    assert len(set(folds[:30])) == 1 and len(set(folds[30:])) == 1 and folds[0] != folds[-1]
    assert weight[:30].sum() == pytest.approx(weight[30:].sum())


def test_a_file_of_another_dimension_fails_at_build_time_naming_the_fix(tmp_path: Path) -> None:
    model = train_on_rows(synthetic_rows(), synthetic_rows(n=5, seed=3, tasks=1), "minilm")
    path = tmp_path / "router.json"
    model.save(path)

    with pytest.raises(ConfigurationError, match=r"384-dimensional .* trained on 8 .*retrain"):
        EmbeddingClassifier(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ('{"format": "asymroute-embedding-router/1"}', "is damaged"),
        ('{"format": "other"}', "is not an embedding router"),
    ],
)
def test_bad_router_files_are_configuration_errors(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "r.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")

    with pytest.raises(ConfigurationError, match=message):
        get_classifier(f"embedding:{path}")


def test_a_file_naming_an_unknown_embedder_says_which_setting(tmp_path: Path) -> None:
    model = train_on_rows(synthetic_rows(), synthetic_rows(n=5, seed=3, tasks=1), "glove")
    path = tmp_path / "router.json"
    model.save(path)

    with pytest.raises(ConfigurationError, match=r"router file .* \(its embedder\): unknown"):
        EmbeddingClassifier(path)


def test_one_query_and_a_batch_get_the_same_similarities() -> None:
    """A routed request (one query, einsum: no BLAS threads) and a batch (BLAS) agree."""
    from asymroute.classifiers.embedding_model import similarities

    rng = np.random.default_rng(0)
    bank = rng.normal(size=(300, 384)).astype(np.float32)
    queries = rng.normal(size=(5, 384)).astype(np.float32)

    together = similarities(queries, bank)
    alone = np.vstack([similarities(queries[i : i + 1], bank) for i in range(5)])

    assert together.shape == alone.shape == (5, 300)
    assert np.allclose(together, alone, atol=1e-4)
    assert np.allclose(alone, queries @ bank.T, atol=1e-4)
