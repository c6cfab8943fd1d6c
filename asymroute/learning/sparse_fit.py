"""The sparse logistic fit of the learned prompt router (the `words+dense` recipes).

`fit_logistic(prompts, labels, ...)`: hashed features held as COO arrays (NumPy only, no SciPy),
standardised dense columns, full-batch Adam on the mean log-loss plus `l2/2·|w|²` (the bias is
not penalised). Everything is deterministic for a given input. It sits below `recipes` (which
fits recipes with it) and `prompt_trainer` (which chooses a recipe), so neither imports the other
to reach it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from asymroute.classifiers.features import FeatureSpec, Vocabulary, extract
from asymroute.classifiers.logistic_model import LogisticModel
from asymroute.evaluation.progress import Progress

DEFAULT_L2 = 1e-2
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
