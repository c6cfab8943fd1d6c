"""The `learned` part of a blended embedding router: the dense-feature logistic model, refitted
on the embedding router's own training rows, whose logit is added to the embedding score.

Why: leave one task out, the embedding head and the `learned` router win on different tasks
(GSM8K 0.537 vs 0.624, MMLU 0.576 vs 0.578); a weighted sum of their standardised scores, with
the weight chosen by inner cross-validation over whole tasks, lets each help where it does.

The part is fitted with one fixed recipe (`LEARNED_RECIPE`, the one the shipped `learned`
file's own inner CV chose), on the same per-task sample and task-balanced weights as the
embedding head, so that the search adds only one weight (`LEARNED_WEIGHTS`) to the grid.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from asymroute.classifiers.logistic_model import LogisticModel
from asymroute.learning.embedded_rows import EmbeddedRows, balanced_weight, head_sample
from asymroute.learning.recipes import Recipe, TrainingRows, fit_recipe

FloatArray = npt.NDArray[np.float64]
LEARNED_RECIPE = Recipe(words=False, label="pairwise", l2=1e-3)
LEARNED_WEIGHTS = (0.0, 0.5, 1.0, 2.0)
"""Weights of z(learned logit) searched by inner CV; 0 is the embedding router alone."""


def fit_learned_part(rows: EmbeddedRows) -> LogisticModel:
    """`LEARNED_RECIPE` on `rows` (which must carry their prompts)."""
    sample = head_sample(rows)
    if sample.prompts is None:
        raise ValueError("the learned part of a blend needs the rows' prompts")
    training = TrainingRows(sample.prompts, sample.weak, sample.strong, balanced_weight(sample))
    return fit_recipe(LEARNED_RECIPE, training)


def learned_logits(model: LogisticModel, prompts: Sequence[str]) -> FloatArray:
    return np.array([model.logit(p) for p in prompts], dtype=float)
