"""Task heads: their gate, how they hand over a task's order, the file section, the keep rule."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from asymroute.classifiers.embedding_model import DENSE_COLUMNS, EmbeddingRouterModel
from asymroute.classifiers.logistic_model import ModelFileError
from asymroute.classifiers.task_heads import TaskHeads
from asymroute.learning.embedded_rows import EmbeddedRows
from asymroute.learning.task_head_fit import fit_task_heads

DIM = 8
DENSE = len(DENSE_COLUMNS)


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def task_rows(n: int, seed: int) -> EmbeddedRows:
    """Two tasks in separate regions of the space (coordinates 2 and 3). In `ranked`, whether
    the strong model gains follows coordinate 0, which the main head of `model_reading` reads;
    in `hidden`, it follows coordinate 1, which only a head of that task's own can learn."""
    rng = np.random.default_rng(seed)
    half = n // 2
    vectors = 0.3 * rng.normal(size=(n, DIM))
    vectors[:half, 2] += 3.0
    vectors[half:, 3] += 3.0
    signal = np.where(np.arange(n) < half, vectors[:, 0], vectors[:, 1])
    gains = signal > 0
    return EmbeddedRows(
        unit(vectors),
        rng.normal(size=(n, DENSE)),
        ~gains,
        np.ones(n, dtype=bool),
        np.ones(n),
        ["ranked"] * half + ["hidden"] * (n - half),
    )


def model_reading(rows: EmbeddedRows, column: int) -> EmbeddingRouterModel:
    """A linear router file whose head reads one embedding coordinate; its bank is `rows`."""
    head = np.zeros(DIM + DENSE)
    head[column] = 4.0
    tasks = sorted(set(rows.tasks))
    return EmbeddingRouterModel(
        embedder="minilm",
        dimension=DIM,
        family="linear",
        head=head,
        bias=0.0,
        dense_mean=np.zeros(DENSE),
        dense_scale=np.ones(DENSE),
        bank=np.round(rows.vectors * 127).astype(np.int8),
        bank_gain=rows.gain.astype(np.int8),
        bank_task=np.array([tasks.index(t) for t in rows.tasks], dtype=np.int16),
        tasks=tasks,
        k=10,
        temperature=0.1,
    )


def apgr_like(scores: np.ndarray, rows: EmbeddedRows) -> float:
    """Mean score of rows where the strong model gains minus the others' (a ranking check)."""
    gains = rows.strong & ~rows.weak
    return float(scores[gains].mean() - scores[~gains].mean())


def test_the_keep_rule_keeps_a_head_only_where_it_beats_the_main_head() -> None:
    rows = task_rows(600, seed=0)
    model = model_reading(rows, column=0)

    heads = fit_task_heads(model, rows)

    assert heads is not None and heads.tasks == ["hidden"]
    figures = model.meta["task_heads"]
    assert figures["ranked"]["kept"] is False
    assert figures["hidden"]["kept"] is True
    assert figures["hidden"]["cross_fitted_apgr"] > figures["hidden"]["main_head_apgr"] + 0.2


def test_a_kept_head_orders_its_task_and_leaves_other_prompts_alone() -> None:
    rows, fresh = task_rows(600, seed=0), task_rows(400, seed=1)
    model = model_reading(rows, column=0)
    model.task_heads = fit_task_heads(model, rows)
    hidden = np.array(fresh.tasks) == "hidden"

    gates = model.task_gates(fresh.vectors)[:, 0]
    before = model.mix(fresh.vectors, fresh.dense)
    after = model.score_logits(fresh.vectors, fresh.dense)

    assert gates[hidden].mean() > 0.9 and gates[~hidden].max() == 0.0
    assert np.array_equal(after[~hidden], before[~hidden])
    gain = fresh.subset(np.flatnonzero(hidden))
    assert apgr_like(after[hidden], gain) > apgr_like(before[hidden], gain) + 0.5


def test_far_neighbours_open_no_gate() -> None:
    rows = task_rows(200, seed=0)
    model = model_reading(rows, column=0)
    model.task_heads = fit_task_heads(model, rows)
    assert model.task_heads is not None
    far = unit(np.eye(DIM)[[0, 1, 4, 5]] + 0.01)  # away from both tasks' regions

    assert model.task_gates(far).max() == 0.0
    assert np.array_equal(
        model.score_logits(far, np.zeros((4, DENSE))), model.mix(far, np.zeros((4, DENSE)))
    )


def test_a_file_without_a_bank_opens_no_gate() -> None:
    rows = task_rows(600, seed=0)
    model = model_reading(rows, column=0)
    heads = fit_task_heads(model, rows)
    assert heads is not None

    gates = heads.gates(np.zeros((3, 0), dtype=np.float32), np.zeros(0, np.int16), model.tasks)

    assert gates.shape == (3, 1) and not gates.any()


def test_a_full_gate_hands_over_the_order_on_the_main_scale() -> None:
    heads = TaskHeads(
        tasks=["t"],
        weights=np.eye(1, DIM + DENSE),
        bias=np.zeros(1),
        dense_mean=np.zeros((1, DENSE)),
        dense_scale=np.ones((1, DENSE)),
        own_stats=np.array([[0.0, 0.5]]),
        main_stats=np.array([[2.0, 3.0]]),
    )
    vectors = np.zeros((3, DIM))
    vectors[:, 0] = [-0.25, 0.0, 5.0]
    main = np.array([7.0, 7.0, 7.0])

    adjusted = heads.adjust(main, vectors, np.zeros((3, DENSE)), np.ones((3, 1)))
    halfway = heads.adjust(main, vectors, np.zeros((3, DENSE)), np.full((3, 1), 0.5))

    # z = x0 / 0.5, clipped to ±3; on the main scale 2 + 3 z
    assert adjusted == pytest.approx([2.0 - 1.5, 2.0, 2.0 + 9.0])
    assert halfway == pytest.approx((main + adjusted) / 2)


def test_task_heads_survive_the_file_and_a_damaged_section_is_refused(tmp_path: Path) -> None:
    rows = task_rows(600, seed=0)
    model = model_reading(rows, column=0)
    model.task_heads = fit_task_heads(model, rows)
    path = tmp_path / "router.json"
    model.save(path)

    loaded = EmbeddingRouterModel.load(path)

    assert loaded.task_heads is not None and loaded.task_heads.tasks == ["hidden"]
    assert np.allclose(
        loaded.probabilities(rows.vectors, rows.dense),
        model.probabilities(rows.vectors, rows.dense),
        atol=1e-5,
    )
    data = json.loads(path.read_text())
    data["task_heads"]["weights"] = [[1.0, 2.0]]
    path.write_text(json.dumps(data))
    with pytest.raises(ModelFileError, match="task head"):
        EmbeddingRouterModel.load(path)
    data["task_heads"] = None
    path.write_text(json.dumps(data))
    assert EmbeddingRouterModel.load(path).task_heads is None


def test_a_task_the_file_does_not_know_is_refused(tmp_path: Path) -> None:
    rows = task_rows(600, seed=0)
    model = model_reading(rows, column=0)
    heads = fit_task_heads(model, rows)
    assert heads is not None
    model.task_heads = replace(heads, tasks=["nowhere"])
    path = tmp_path / "router.json"
    model.save(path)

    with pytest.raises(ModelFileError, match="names a task the file does not have"):
        EmbeddingRouterModel.load(path)


def test_the_shipped_file_hands_word_problems_to_its_gsm8k_head_and_little_else() -> None:
    from asymroute.classifiers.embedding import EmbeddingClassifier
    from tests.unit.test_learned_classifier import EVERYDAY_FRONTIER, EVERYDAY_LOCAL

    router = EmbeddingClassifier()
    heads = router.model.task_heads
    assert heads is not None and heads.tasks == ["gsm8k", "mmlu"]
    assert router.model.meta["task_heads"]["winogrande"]["kept"] is False
    everyday = EVERYDAY_LOCAL + EVERYDAY_FRONTIER
    gates = router.model.task_gates(router.vectors(everyday))
    word_problems = [p for p in everyday if p.startswith("A shop sells pens")]

    # the one GSM8K-style word problem among the everyday prompts is handed to the GSM8K head,
    # and stays with the frontier (its anchor test); the rest open little or no gate
    assert len(word_problems) == 1
    shop = everyday.index(word_problems[0])
    assert gates[shop, 0] == 1.0
    assert router.score(word_problems[0]).score >= 0.5
    assert np.delete(gates, shop, axis=0).max() <= 0.2
    apples = router.score("I have 3 apples and buy 5 more, then give away 2. How many do I have?")
    assert apples.reasons[-1] == "task head gsm8k weighed in (gate 1.00)"
