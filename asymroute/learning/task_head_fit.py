"""Fit an embedding router file's task heads, and keep only those that beat the main head.

For every training task (not the anchors or the written conversations) a linear head is fitted
on that task's rows alone, every row of them, by the main head's own fit
(`embedding_recipes.fit_head`: embedding and standardised dense features, the soft gain
label), L2 `HEAD_L2` (the setting `bench/own_labels_ceiling.py` found best on GSM8K and MMLU,
fixed, not searched). It is kept only when, cross-fitted over `FOLDS` random folds of its
task, it ranks the task's rows better (APGR) than the main head does. The main head is scored
on rows it was trained on, which favours it: a kept head has beaten it with that handicap. On
the five shared tasks that keeps GSM8K's and MMLU's heads and drops the others (their own
labels add nothing the main head lacks; WinoGrande's rank below random).

The per-task figures go to the file's `meta["task_heads"]`, kept or not.
"""

from __future__ import annotations

import numpy as np

from asymroute.classifiers.embedding_model import EmbeddingRouterModel
from asymroute.classifiers.task_heads import TaskHeads
from asymroute.evaluation.metrics import scores_apgr
from asymroute.learning.embedded_rows import ANCHOR_TASK, CONVERSATION_TASK, EmbeddedRows
from asymroute.learning.embedding_recipes import Head, fit_head, head_logits
from asymroute.learning.fitting import FloatArray

HEAD_L2 = 0.3
FOLDS = 5
MIN_ROWS = 100
"""Fewer rows than this make no head: five folds of 20 rows rank nothing reliably."""


def fit_task_heads(model: EmbeddingRouterModel, rows: EmbeddedRows) -> TaskHeads | None:
    """The heads worth keeping for `model`, fitted on `rows` (what it was trained on); None
    when no task's head beats the main one. Records every task's figures in `model.meta`."""
    tasks = np.array(rows.tasks)
    kept: list[tuple[str, Head, FloatArray, FloatArray]] = []
    figures: dict[str, dict[str, float | bool]] = {}
    for task in sorted(set(rows.tasks) - {ANCHOR_TASK, CONVERSATION_TASK}):
        own_rows = rows.subset(np.flatnonzero(tasks == task))
        if len(own_rows) < MIN_ROWS or len(set(own_rows.gain)) < 2:
            continue
        main = model.mix(own_rows.vectors, own_rows.dense, own_rows.prompts)
        own_figure = scores_apgr(_cross_fitted(own_rows), own_rows.weak, own_rows.strong)
        main_figure = scores_apgr(main, own_rows.weak, own_rows.strong)
        keep = own_figure > main_figure
        figures[task] = {
            "cross_fitted_apgr": round(own_figure, 4),
            "main_head_apgr": round(main_figure, 4),
            "kept": keep,
        }
        if keep:
            head = _fit(own_rows)
            own = head_logits(head, own_rows.vectors, own_rows.dense)
            kept.append((task, head, own, main))
    model.meta["task_heads"] = figures
    if not kept:
        return None
    heads = [head for _, head, _, _ in kept]
    return TaskHeads(
        tasks=[task for task, _, _, _ in kept],
        weights=np.stack([h.weights for h in heads]),
        bias=np.array([h.bias for h in heads]),
        dense_mean=np.stack([h.mean for h in heads]),
        dense_scale=np.stack([h.scale for h in heads]),
        own_stats=np.array([_stats(own) for _, _, own, _ in kept]),
        main_stats=np.array([_stats(main) for _, _, _, main in kept]),
    )


def _fit(rows: EmbeddedRows) -> Head:
    """The main head's fit (`fit_head`) on one task's rows, every row of them."""
    return fit_head(rows, HEAD_L2, per_task=len(rows))


def _cross_fitted(rows: EmbeddedRows) -> FloatArray:
    """Each row's logit from a head fitted on the other folds (random folds, seed 0)."""
    fold = np.random.default_rng(0).permutation(len(rows)) % FOLDS
    out = np.empty(len(rows))
    for k in range(FOLDS):
        test = np.flatnonzero(fold == k)
        head = _fit(rows.subset(np.flatnonzero(fold != k)))
        held = rows.subset(test)
        out[test] = head_logits(head, held.vectors, held.dense)
    return out


def _stats(values: FloatArray) -> tuple[float, float]:
    """Mean and spread (never 0)."""
    return float(values.mean()), max(float(values.std()), 1e-9)
