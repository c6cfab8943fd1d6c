"""Train the answer scorer (`asymroute train --target answer`) and cross-fit it for replay.

The label is "the weak model's recorded answer was graded wrong"; the features are
`answer_features(prompt, weak response)`. Data must carry the weak model's responses (RouteLLM
`<model>_response` columns, RouterBench `<model>|model_response`).

`cross_fitted_probabilities` gives every row a P(wrong) from a model that never saw that row
(k-fold cross-fitting), which is what the cascade replay reports; the shipped scorer, trained
on all rows, is for live use only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from asymroute.evaluation.datasets import DatasetError, LabeledData
from asymroute.learning.fitting import fit_newton, standardise
from asymroute.learning.trainers import TrainOptions
from asymroute.validators.answer_features import answer_features
from asymroute.validators.answer_scorer import AnswerScorer

DEFAULT_L2 = 0.01
"""Chosen by 10-fold cross-validation on GSM8K (flat between 0.001 and 0.03)."""
FloatArray = npt.NDArray[np.float64]


def feature_rows(prompts: Sequence[str], answers: Sequence[str]) -> FloatArray:
    return np.array([answer_features(p, a) for p, a in zip(prompts, answers, strict=True)])


def weak_answers(data: LabeledData) -> list[str]:
    if data.weak_responses is None:
        raise DatasetError(
            f"the answer scorer needs the weak model's responses, and the data has none for "
            f"{data.weak!r} (RouteLLM: a '{data.weak}_response' column; RouterBench: "
            f"'{data.weak}|model_response')"
        )
    return data.weak_responses


def fit_answer_scorer(
    rows: FloatArray, wrong: npt.ArrayLike, l2: float = DEFAULT_L2
) -> AnswerScorer:
    labels = np.asarray(wrong, dtype=float)
    if len(labels) != len(rows) or len(set(labels.tolist())) < 2:
        raise DatasetError(
            "the answer scorer needs both right and wrong weak answers to learn from"
        )
    mean, scale = standardise(rows)
    weights, bias = fit_newton((rows - mean) / scale, labels, np.ones(len(labels)), l2)
    p = np.clip(1.0 / (1.0 + np.exp(-(((rows - mean) / scale) @ weights + bias))), 1e-9, 1 - 1e-9)
    log_loss = float(-np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p)))
    return AnswerScorer(
        weights, bias, mean, scale, {"rows": len(labels), "l2": l2, "train_log_loss": log_loss}
    )


def train_answer_scorer(data: LabeledData, options: TrainOptions) -> AnswerScorer:
    """The `answer` training target: fit on every row of `data`."""
    l2 = options.l2 if options.l2 is not None else DEFAULT_L2
    scorer = fit_answer_scorer(
        feature_rows(data.prompts, weak_answers(data)), ~data.weak_correct, l2
    )
    scorer.meta.update(
        {
            "target": "answer: P(weak answer wrong)",
            "weak": data.weak,
            "strong": data.strong,
            "weak_accuracy": data.weak_accuracy,
            "trained_on": sorted(set(data.groups)),
        }
    )
    return scorer


def fold_ids(n: int, folds: int, seed: int = 0) -> npt.NDArray[np.int64]:
    """Each row's fold, from a seeded shuffle (balanced fold sizes)."""
    if folds < 2 or folds > n:
        raise DatasetError(f"--folds must be between 2 and the number of rows ({n}), got {folds}")
    ids = np.empty(n, dtype=np.int64)
    for fold, rows in enumerate(np.array_split(np.random.default_rng(seed).permutation(n), folds)):
        ids[rows] = fold
    return ids


def cross_fitted_scorers(
    data: LabeledData, folds: int = 10, seed: int = 0, l2: float = DEFAULT_L2
) -> tuple[npt.NDArray[np.int64], list[AnswerScorer]]:
    """(fold of each row, one scorer per fold trained on every other fold)."""
    rows = feature_rows(data.prompts, weak_answers(data))
    ids = fold_ids(len(data), folds, seed)
    wrong = ~data.weak_correct
    scorers = [fit_answer_scorer(rows[ids != k], wrong[ids != k], l2) for k in range(folds)]
    return ids, scorers
