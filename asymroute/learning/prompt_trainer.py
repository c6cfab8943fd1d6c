"""Fit the learned prompt router: choose a recipe by inner cross-validation, then fit it.

`train_prompt_router(data, options)` (the `prompt` target in `trainers`):
1. adds the hand-written anchor prompts (`anchors`) to the labeled rows;
2. picks a `recipes.Recipe` (features, label, l2) by grouped cross-validation inside `data`
   only (`selection`), unless `options.recipe` names one;
3. fits it on all of `data` plus the anchors;
4. shifts the bias so that threshold 0.5 sends `DEFAULT_STRONG_SHARE` of the training prompts
   (anchors excluded) to the strong model — ranking, hence APGR, is unchanged.
The chosen recipe and every candidate's CV score are stored in the file's `meta`.

`fit_logistic(prompts, labels, ...)` is the reusable sparse core (used by `words+dense`
recipes): hashed features held as COO arrays (NumPy only, no SciPy), standardised dense
columns, full-batch Adam on the mean log-loss plus `l2/2·|w|²` (the bias is not penalised).
Everything is deterministic for a given input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from asymroute.evaluation.datasets import LabeledData
from asymroute.evaluation.progress import Progress
from asymroute.learning import anchors
from asymroute.learning.features import FeatureSpec, Vocabulary, extract
from asymroute.learning.model import LogisticModel
from asymroute.learning.recipes import CANDIDATES, Recipe, TrainingRows, fit_recipe
from asymroute.learning.selection import cross_validate
from asymroute.learning.trainers import TrainOptions

DEFAULT_L2 = 1e-2
DEFAULT_STRONG_SHARE = 0.25
"""The bias is shifted so that threshold 0.5 sends this share of the training prompts to the
strong model (ranking, hence APGR, is unchanged); `asymroute calibrate` sets your own share."""
DEFAULT_SPEC = FeatureSpec(hash_bits=16, word_unigrams=True, word_bigrams=False)
ITERATIONS = 400
LEARNING_RATE = 0.05
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class FeatureMatrix:
    """Rows of sparse features as COO arrays: row[k], column[k], value[k]."""

    rows: npt.NDArray[np.int64]
    columns: npt.NDArray[np.int64]
    values: FloatArray
    n_rows: int
    n_columns: int

    def dot(self, weights: FloatArray) -> FloatArray:
        products = self.values * weights[self.columns]
        return np.bincount(self.rows, weights=products, minlength=self.n_rows).astype(np.float64)

    def transpose_dot(self, residual: FloatArray) -> FloatArray:
        products = self.values * residual[self.rows]
        return np.bincount(self.columns, weights=products, minlength=self.n_columns).astype(
            np.float64
        )


def featurize(
    prompts: Sequence[str],
    spec: FeatureSpec,
    progress: Progress | None = None,
    vocabulary: Vocabulary | None = None,
) -> FeatureMatrix:
    rows: list[int] = []
    columns: list[int] = []
    values: list[float] = []
    for row, prompt in enumerate(prompts):
        indices, vals, _ = extract(prompt, spec, vocabulary)
        rows.extend([row] * len(indices))
        columns.extend(indices)
        values.extend(vals)
        if progress is not None:
            progress.advance()
    return FeatureMatrix(
        np.array(rows, dtype=np.int64),
        np.array(columns, dtype=np.int64),
        np.array(values, dtype=float),
        len(prompts),
        spec.size,
    )


def _standardise(matrix: FeatureMatrix, spec: FeatureSpec) -> tuple[FloatArray, FloatArray]:
    """Mean and scale of each structural column, applied in place to the matrix values."""
    n_struct = len(spec.structural)
    is_struct = matrix.columns >= spec.hash_size
    struct = matrix.values[is_struct].reshape(matrix.n_rows, n_struct)
    mean = struct.mean(axis=0)
    scale = struct.std(axis=0)
    scale[scale < 1e-9] = 1.0
    matrix.values[is_struct] = ((struct - mean) / scale).ravel()
    return mean, scale


def fit_logistic(
    prompts: Sequence[str],
    labels: npt.ArrayLike,
    *,
    spec: FeatureSpec | None = None,
    l2: float = DEFAULT_L2,
    iterations: int = ITERATIONS,
    show_progress: bool = False,
    sample_weight: npt.ArrayLike | None = None,
    vocabulary: Vocabulary | None = None,
) -> LogisticModel:
    spec = spec or DEFAULT_SPEC
    y = np.asarray(labels, dtype=float)
    if len(y) != len(prompts) or not len(y):
        raise ValueError("fit_logistic needs one label per prompt and at least one prompt")
    with Progress(len(prompts), "features", enabled=None if show_progress else False) as bar:
        matrix = featurize(prompts, spec, bar, vocabulary)
    mean, scale = _standardise(matrix, spec)
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    sw = sw / sw.sum()
    prior = float(np.clip(np.average(y, weights=sw), 1e-4, 1 - 1e-4))
    weights = np.zeros(spec.size)
    bias = math.log(prior / (1 - prior))
    m_w, v_w = np.zeros_like(weights), np.zeros_like(weights)
    m_b = v_b = 0.0
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    with Progress(iterations, "training", enabled=None if show_progress else False) as bar:
        for step in range(1, iterations + 1):
            p = 1.0 / (1.0 + np.exp(-(matrix.dot(weights) + bias)))
            residual = (p - y) * sw
            grad_w = matrix.transpose_dot(residual) + l2 * weights
            grad_b = float(residual.sum())
            m_w = beta1 * m_w + (1 - beta1) * grad_w
            v_w = beta2 * v_w + (1 - beta2) * grad_w**2
            m_b = beta1 * m_b + (1 - beta1) * grad_b
            v_b = beta2 * v_b + (1 - beta2) * grad_b**2
            correction1, correction2 = 1 - beta1**step, 1 - beta2**step
            weights -= LEARNING_RATE * (m_w / correction1) / (np.sqrt(v_w / correction2) + eps)
            bias -= LEARNING_RATE * (m_b / correction1) / (math.sqrt(v_b / correction2) + eps)
            bar.advance()
    p = np.clip(1.0 / (1.0 + np.exp(-(matrix.dot(weights) + bias))), 1e-9, 1 - 1e-9)
    log_loss = float(-np.sum(sw * (y * np.log(p) + (1 - y) * np.log(1 - p))))
    return LogisticModel(
        spec=spec,
        weights=weights,
        bias=bias,
        structural_mean=mean,
        structural_scale=scale,
        meta={"rows": len(y), "l2": l2, "iterations": iterations, "train_log_loss": log_loss},
        vocabulary=vocabulary,
    )


def strong_gain(data: LabeledData) -> FloatArray:
    """The soft `gain` label: 1 only strong right, 0 only weak right, 0.5 they agree."""
    return (data.strong_correct.astype(float) - data.weak_correct.astype(float) + 1.0) / 2.0


def training_rows(data: LabeledData) -> TrainingRows:
    return TrainingRows(
        list(data.prompts), data.weak_correct, data.strong_correct, np.ones(len(data))
    )


def anchor_rows() -> TrainingRows:
    """Local anchors as if only the weak model were right; frontier anchors the reverse."""
    local, frontier = len(anchors.LOCAL), len(anchors.FRONTIER)
    weak = np.array([True] * local + [False] * frontier)
    return TrainingRows(
        [*anchors.LOCAL, *anchors.FRONTIER],
        weak,
        ~weak,
        np.full(local + frontier, anchors.ANCHOR_WEIGHT),
    )


def candidates_for(options: TrainOptions) -> tuple[Recipe, ...]:
    if options.recipe is not None:
        return (Recipe.parse(options.recipe),)
    if options.l2 is not None:
        return tuple(
            Recipe(c.words, c.label, options.l2) for c in CANDIDATES if c.l2 == CANDIDATES[0].l2
        )
    return CANDIDATES


def train_prompt_router(data: LabeledData, options: TrainOptions) -> LogisticModel:
    rows, extra = training_rows(data), anchor_rows()
    candidates = candidates_for(options)
    if len(candidates) == 1:
        recipe, scores = candidates[0], {}
    else:
        selection = cross_validate(rows, data.groups, candidates, extra)
        recipe, scores = selection.recipe, selection.scores
    model = fit_recipe(recipe, rows.plus(extra))
    logits = np.array([model.logit(p) for p in data.prompts])
    model.bias -= float(np.quantile(logits, 1.0 - DEFAULT_STRONG_SHARE))
    model.meta.update(
        {
            "strong_share_at_0_5": DEFAULT_STRONG_SHARE,
            "target": f"prompt: recipe {recipe.name} chosen by grouped inner cross-validation",
            "inner_cv_apgr": {name: round(value, 4) for name, value in scores.items()},
            "anchors": {
                "local": len(anchors.LOCAL),
                "frontier": len(anchors.FRONTIER),
                "weight": anchors.ANCHOR_WEIGHT,
                "source": "asymroute.learning.anchors",
            },
            "weak": data.weak,
            "strong": data.strong,
            "weak_accuracy": data.weak_accuracy,
            "strong_accuracy": data.strong_accuracy,
            "groups": sorted(set(data.groups)),
        }
    )
    return model
