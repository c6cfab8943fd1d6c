"""Pick a training recipe by cross-validation inside the training data only.

Folds are grouped when the training data has enough groups (files, subjects, `eval_name`s):
whole groups are held out together, so a recipe is judged on prompts from tasks it did not see,
which is the situation a shipped router meets. With fewer than `k` groups (one data set), rows
are split at random (fixed seed). Anchor prompts are added to every training fold and never to
a validation fold. The score of a recipe is its mean APGR over the folds; the best one wins
(earlier, simpler candidates win ties). Nothing outside the training data is ever looked at.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from asymroute.classifiers.features import Vocabulary
from asymroute.evaluation.metrics import apgr, threshold_curve
from asymroute.learning.recipes import Recipe, TrainingRows, dense_matrix, fit_dense, fit_recipe

FOLDS = 5
IntArray = npt.NDArray[np.int64]


def inner_folds(groups: Sequence[str], k: int = FOLDS, seed: int = 0) -> IntArray:
    """A fold number per row: whole groups per fold when there are at least `k` groups."""
    rng = np.random.default_rng(seed)
    sizes = Counter(groups)
    if len(sizes) < k:
        order = rng.permutation(len(groups))
        folds = np.empty(len(groups), dtype=np.int64)
        folds[order] = np.arange(len(groups)) % k
        return folds
    names = [sorted(sizes)[i] for i in rng.permutation(len(sizes))]
    # Largest groups first, each into the currently smallest fold: balanced, deterministic.
    names.sort(key=lambda name: -sizes[name])
    load = [0] * k
    fold_of: dict[str, int] = {}
    for name in names:
        target = int(np.argmin(load))
        fold_of[name] = target
        load[target] += sizes[name]
    return np.array([fold_of[g] for g in groups], dtype=np.int64)


@dataclass(frozen=True)
class Selection:
    recipe: Recipe
    scores: dict[str, float]
    """Mean inner-CV APGR of every candidate, by recipe name."""
    folds: int


def _fold_apgr(logits: npt.NDArray[np.float64], rows: TrainingRows) -> float | None:
    weak, strong = rows.weak_correct, rows.strong_correct
    if weak.mean() == strong.mean():
        return None
    curve = threshold_curve("cv", logits, weak, strong)
    return apgr(curve, float(weak.mean()), float(strong.mean()))


def cross_validate(
    rows: TrainingRows,
    groups: Sequence[str],
    candidates: Sequence[Recipe],
    anchors: TrainingRows | None = None,
    *,
    k: int = FOLDS,
) -> Selection:
    folds = inner_folds(groups, k)
    results: dict[str, list[float]] = {c.name: [] for c in candidates}
    for fold in range(k):
        train_index = np.flatnonzero(folds != fold)
        valid_index = np.flatnonzero(folds == fold)
        if not len(valid_index) or not len(train_index):
            continue
        train, valid = rows.subset(train_index), rows.subset(valid_index)
        if anchors is not None:
            train = train.plus(anchors)
        dense = [c for c in candidates if not c.words]
        if dense:
            vocabulary = Vocabulary.build(train.prompts)
            train_matrix = dense_matrix(train.prompts, vocabulary)
            valid_matrix = dense_matrix(valid.prompts, vocabulary)
        for recipe in candidates:
            if recipe.words:
                model = fit_recipe(recipe, train)
                logits = np.array([model.logit(p) for p in valid.prompts])
            else:
                weights, bias, mean, scale = fit_dense(recipe, train_matrix, train)
                logits = ((valid_matrix - mean) / scale) @ weights + bias
            score = _fold_apgr(logits, valid)
            if score is not None:
                results[recipe.name].append(score)
    scores = {name: float(np.mean(v)) if v else float("nan") for name, v in results.items()}
    best = candidates[0]
    for recipe in candidates[1:]:
        score, leader = scores[recipe.name], scores[best.name]
        if not np.isnan(score) and (np.isnan(leader) or score > leader):
            best = recipe
    return Selection(best, scores, k)
