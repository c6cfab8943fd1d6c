"""Training recipes for the prompt router: which features, which label, how much regularisation.

A `Recipe` is one candidate; `selection.select_recipe` picks one by cross-validation inside the
training data only. Every recipe trains on `TrainingRows` (labeled prompts plus anchors, each
with a weight) and yields a `LogisticModel`:

- features: `dense` (the ~35 columns of `features.DENSE`, fitted exactly by Newton) or
  `words+dense` (hashed word unigrams on top, fitted by Adam in `sparse_fit.fit_logistic`);
- label: `gain` (soft: 1 only strong right, 0 only weak right, 0.5 they agree), `disagree`
  (only the rows where exactly one model is right), `weak_fails` (1 when the weak model is
  wrong), or `pairwise` (rank rows by strong-minus-weak gain; dense only);
- l2: the penalty on the mean loss.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from asymroute.classifiers.features import FeatureSpec, Vocabulary, structural_values
from asymroute.classifiers.logistic_model import LogisticModel
from asymroute.learning.fitting import fit_newton, fit_pairwise, standardise
from asymroute.learning.sparse_fit import fit_logistic

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
LABELS = ("gain", "disagree", "weak_fails", "pairwise")
DENSE_SPEC = FeatureSpec(hash_bits=0, word_unigrams=False, word_bigrams=False)
WORDS_SPEC = FeatureSpec(hash_bits=16, word_unigrams=True, word_bigrams=False)


@dataclass(frozen=True)
class Recipe:
    words: bool
    label: str
    l2: float

    @property
    def name(self) -> str:
        return f"{'words+dense' if self.words else 'dense'}/{self.label}/l2={self.l2:g}"

    @classmethod
    def parse(cls, text: str) -> Recipe:
        """`dense/gain/l2=0.01` (the format of `name`)."""
        try:
            features, label, l2 = text.split("/")
            if features not in ("dense", "words+dense") or label not in LABELS:
                raise ValueError
            if features == "words+dense" and label == "pairwise":
                raise ValueError
            return cls(features == "words+dense", label, float(l2.removeprefix("l2=")))
        except ValueError:
            raise ValueError(
                f"bad recipe {text!r}: expected dense|words+dense / {'|'.join(LABELS)} / l2=NUMBER"
                " (pairwise is dense only)"
            ) from None


CANDIDATES = tuple(Recipe(False, label, l2) for label in LABELS for l2 in (1e-3, 1e-2, 1e-1))
"""The grid searched by cross-validation (ties keep the earlier one). Dense features only:
hashed words (`words+dense/...`, available with `--recipe`) memorise the vocabulary of the
training tasks, cost ~10 s per fit on 12k rows, and are left out of the default search for
that reason, decided before any held-out figure was computed for this grid."""


@dataclass(frozen=True)
class TrainingRows:
    prompts: list[str]
    weak_correct: BoolArray
    strong_correct: BoolArray
    weight: FloatArray

    def subset(self, index: npt.NDArray[np.int64]) -> TrainingRows:
        return TrainingRows(
            [self.prompts[i] for i in index],
            self.weak_correct[index],
            self.strong_correct[index],
            self.weight[index],
        )

    def plus(self, other: TrainingRows) -> TrainingRows:
        return TrainingRows(
            self.prompts + other.prompts,
            np.concatenate([self.weak_correct, other.weak_correct]),
            np.concatenate([self.strong_correct, other.strong_correct]),
            np.concatenate([self.weight, other.weight]),
        )


def label_and_weight(
    label: str, weak: BoolArray, strong: BoolArray, weight: FloatArray
) -> tuple[FloatArray, FloatArray]:
    w, s = weak.astype(float), strong.astype(float)
    if label in ("gain", "pairwise"):
        return (s - w + 1.0) / 2.0, weight
    if label == "disagree":
        return s, weight * (w != s)
    if label == "weak_fails":
        return 1.0 - w, weight
    raise ValueError(f"unknown label {label!r}; choose one of {', '.join(LABELS)}")


def dense_matrix(prompts: Sequence[str], vocabulary: Vocabulary | None) -> FloatArray:
    names = DENSE_SPEC.structural
    rows = [structural_values(p, vocabulary) for p in prompts]
    return np.array([[row[n] for n in names] for row in rows], dtype=float).reshape(
        len(prompts), len(names)
    )


def fit_dense(
    recipe: Recipe, matrix: FloatArray, rows: TrainingRows
) -> tuple[FloatArray, float, FloatArray, FloatArray]:
    """(weights, bias, column mean, column scale) of `recipe` on a precomputed dense matrix."""
    mean, scale = standardise(matrix)
    x = (matrix - mean) / scale
    y, weight = label_and_weight(recipe.label, rows.weak_correct, rows.strong_correct, rows.weight)
    if recipe.label == "pairwise":
        coefficients, bias = fit_pairwise(x, 2.0 * y - 1.0, weight, recipe.l2)
    else:
        coefficients, bias = fit_newton(x, y, weight, recipe.l2)
    return coefficients, bias, mean, scale


def fit_recipe(recipe: Recipe, rows: TrainingRows) -> LogisticModel:
    vocabulary = Vocabulary.build(rows.prompts)
    if recipe.words:
        y, weight = label_and_weight(
            recipe.label, rows.weak_correct, rows.strong_correct, rows.weight
        )
        model = fit_logistic(
            rows.prompts,
            y,
            spec=WORDS_SPEC,
            l2=recipe.l2,
            sample_weight=weight,
            vocabulary=vocabulary,
        )
    else:
        matrix = dense_matrix(rows.prompts, vocabulary)
        coefficients, bias, mean, scale = fit_dense(recipe, matrix, rows)
        weights = np.concatenate([np.zeros(DENSE_SPEC.hash_size), coefficients])
        model = LogisticModel(DENSE_SPEC, weights, bias, mean, scale, {}, vocabulary)
    model.meta.update({"recipe": recipe.name, "rows": len(rows.prompts), "l2": recipe.l2})
    return model
