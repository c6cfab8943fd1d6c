"""Exact fits for the dense-feature router: L2 logistic regression by Newton's method.

Dense features are few (about 35 columns), so each fit is a handful of d×d solves: exact,
deterministic and fast enough to repeat inside cross-validation. Columns are standardised by
the caller (`standardise`). Two objectives:

- pointwise (`fit_newton`): weighted mean log-loss of a soft label, plus `l2/2·|w|²` (the bias
  is not penalised);
- pairwise (`fit_pairwise`): the same logistic loss on score differences of sampled row pairs
  whose strong-minus-weak gain differs, the higher-gain row as the positive (a ranking objective,
  which is what APGR measures).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
NEWTON_STEPS = 25
PAIRS = 40_000
PAIRS_PER_ROW = 20


def standardise(columns: FloatArray) -> tuple[FloatArray, FloatArray]:
    mean = columns.mean(axis=0)
    scale = columns.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return mean, scale


def _sigmoid(x: FloatArray) -> FloatArray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def fit_newton(
    x: FloatArray,
    y: FloatArray,
    sample_weight: FloatArray,
    l2: float,
    *,
    fit_bias: bool = True,
) -> tuple[FloatArray, float]:
    """Weights and bias minimising the weighted mean log-loss + l2/2·|w|² on standardised x."""
    n, d = x.shape
    sw = sample_weight / sample_weight.sum()
    design = np.hstack([x, np.ones((n, 1))]) if fit_bias else x
    size = design.shape[1]
    penalty = np.full(size, l2)
    if fit_bias:
        penalty[-1] = 0.0
        prior = float(np.clip(np.average(y, weights=sw), 1e-4, 1 - 1e-4))
    theta = np.zeros(size)
    if fit_bias:
        theta[-1] = np.log(prior / (1 - prior))
    for _ in range(NEWTON_STEPS):
        p = _sigmoid(design @ theta)
        gradient = design.T @ (sw * (p - y)) + penalty * theta
        curvature = sw * np.maximum(p * (1 - p), 1e-9)
        hessian = (design * curvature[:, None]).T @ design + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if float(np.max(np.abs(step))) < 1e-7:
            break
    if fit_bias:
        return theta[:d], float(theta[-1])
    return theta, 0.0


def fit_pairwise(
    x: FloatArray, gain: FloatArray, sample_weight: FloatArray, l2: float, seed: int = 0
) -> tuple[FloatArray, float]:
    """Weights ranking rows by gain: logistic loss on x[high] − x[low] for sampled pairs.

    Rows are drawn in proportion to `sample_weight`, so weighted rows (anchors) take part in
    pairs as often as their weight says.
    """
    rng = np.random.default_rng(seed)
    chance = sample_weight / sample_weight.sum()
    pairs = min(PAIRS, PAIRS_PER_ROW * len(gain))
    first = rng.choice(len(gain), pairs, p=chance)
    second = rng.choice(len(gain), pairs, p=chance)
    keep = gain[first] != gain[second]
    first, second = first[keep], second[keep]
    if not len(first):
        return np.zeros(x.shape[1]), 0.0
    high = np.where(gain[first] > gain[second], first, second)
    low = np.where(gain[first] > gain[second], second, first)
    differences = x[high] - x[low]
    # Both orientations, so the unpenalised bias is not needed and stays 0.
    design = np.vstack([differences, -differences])
    labels = np.concatenate([np.ones(len(high)), np.zeros(len(high))])
    weights = np.ones(len(design))
    coefficients, _ = fit_newton(design, labels, weights, l2, fit_bias=False)
    return coefficients, 0.0
