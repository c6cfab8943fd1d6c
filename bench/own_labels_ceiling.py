"""How well does the router's representation rank a task's gain when it learns from its own labels?

Leave one task out asks a router to rank prompts of a task it never saw. This probe gives the
representation every advantage instead: each task is split into five folds (seed 0, the folds
of `five_tasks.py --only in-task`), and routers are fitted on four fifths of *that task alone*
and score the last fifth. No other task, conversation or anchor is in the fit, so nothing pulls
the head away from the task's own direction. Every family and setting is printed, and the best
one per task is then picked on the scored folds themselves: an upper estimate, since that choice
is made on the test.

Families, on the shipped embedder's vectors (`minilm`, the last 256 word pieces) and the dense
features the shipped head reads:
- linear: the shipped head's fit (L2 logistic regression on the soft gain label, Newton's
  method), embedding plus dense features, several l2;
- pairwise: the same columns fitted on the ranking objective `fit_pairwise` (what APGR measures);
- dense: the dense features alone (length, numbers, code and math cues: `learned`'s kind);
- neighbours: similarity-weighted vote of the k nearest training prompts (cosine, softmax
  temperature 0.1), RouteLLM's SW-ranking idea.

    python bench/own_labels_ceiling.py --cache VEC      (VEC: five_tasks.py's vector cache)
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]

import numpy as np  # noqa: E402
from five_tasks import apgr_of, load_all, task_folds, vectors_for  # noqa: E402

from asymroute.learning.embedded_rows import EmbeddedRows, rows_of  # noqa: E402
from asymroute.learning.embedding_recipes import EMBEDDING_SCALE  # noqa: E402
from asymroute.learning.fitting import fit_newton, fit_pairwise, standardise  # noqa: E402

Scorer = Callable[[EmbeddedRows, EmbeddedRows], np.ndarray]
L2_GRID = (0.03, 0.3, 3.0)
PAIRWISE_L2 = (0.03, 0.3)
NEIGHBOURS = (10, 50, 200)
TEMPERATURE = 0.1


def columns(
    train: EmbeddedRows, test: EmbeddedRows, dense_only: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The head's columns, standardised on the training rows (the embedding scaled as the
    shipped head scales it)."""
    mean, scale = standardise(train.dense)

    def of(rows: EmbeddedRows) -> np.ndarray:
        dense = (rows.dense - mean) / scale
        return dense if dense_only else np.hstack([rows.vectors * EMBEDDING_SCALE, dense])

    return of(train), of(test)


def linear(l2: float, dense_only: bool = False) -> Scorer:
    def score(train: EmbeddedRows, test: EmbeddedRows) -> np.ndarray:
        x_train, x_test = columns(train, test, dense_only)
        weights, bias = fit_newton(x_train, (train.gain + 1) / 2, np.ones(len(train.gain)), l2)
        return x_test @ weights + bias

    return score


def pairwise(l2: float) -> Scorer:
    def score(train: EmbeddedRows, test: EmbeddedRows) -> np.ndarray:
        x_train, x_test = columns(train, test, dense_only=False)
        weights, _ = fit_pairwise(x_train, train.gain, np.ones(len(train.gain)), l2)
        return x_test @ weights

    return score


def neighbours(k: int) -> Scorer:
    def score(train: EmbeddedRows, test: EmbeddedRows) -> np.ndarray:
        similarity = test.vectors.astype(np.float32) @ train.vectors.astype(np.float32).T
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        weight = np.exp((np.take_along_axis(similarity, nearest, axis=1) - 1) / TEMPERATURE)
        return (weight * train.gain[nearest]).sum(axis=1) / weight.sum(axis=1)

    return score


FAMILIES: dict[str, Scorer] = {
    **{f"linear l2={l2:g}": linear(l2) for l2 in L2_GRID},
    **{f"pairwise l2={l2:g}": pairwise(l2) for l2 in PAIRWISE_L2},
    **{f"dense l2={l2:g}": linear(l2, dense_only=True) for l2 in L2_GRID},
    **{f"neighbours k={k}": neighbours(k) for k in NEIGHBOURS},
}


def own_labels(rows: EmbeddedRows, folds: list[np.ndarray], scorer: Scorer) -> float:
    """APGR of the task's rows, each scored by the fit on the task's other folds."""
    scores = np.empty(len(rows.gain))
    for k, test in enumerate(folds):
        train = np.concatenate([f for j, f in enumerate(folds) if j != k])
        scores[test] = scorer(rows.subset(train), rows.subset(test))
    index = np.concatenate(folds)
    return apgr_of(scores[index], rows.weak[index], rows.strong[index])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, help="five_tasks.py's vector cache (npz)")
    args = parser.parse_args()
    data = load_all()
    rows = rows_of(data, vectors_for(data.prompts, args.cache))
    best = {}
    for task, folds in task_folds(rows.tasks):
        print(f"{task} ({sum(len(f) for f in folds)} prompts)")
        figures = {name: own_labels(rows, folds, scorer) for name, scorer in FAMILIES.items()}
        for name, value in figures.items():
            print(f"  {name:<20} {value:.3f}", flush=True)
        best[task] = max(figures.items(), key=lambda item: item[1])
    print("best per task, chosen on the scored folds (an upper estimate)")
    for task, (name, value) in best.items():
        print(f"  {task:<14} {value:.3f}  {name}")
    values = [value for _, value in best.values()]
    print(f"  {'mean (min)':<14} {np.mean(values):.3f} ({min(values):.3f})")


if __name__ == "__main__":
    main()
