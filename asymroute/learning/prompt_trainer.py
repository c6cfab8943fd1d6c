"""Fit the learned prompt router: choose a recipe by inner cross-validation, then fit it.

`train_prompt_router(data, options)` (the `prompt` target in `trainers`):
1. adds the hand-written anchor prompts (`anchors`) to the labeled rows;
2. picks a `recipes.Recipe` (features, label, l2) by grouped cross-validation inside `data`
   only (`selection`), unless `options.recipe` names one;
3. fits it on all of `data` plus the anchors;
4. shifts the bias so that threshold 0.5 sends `DEFAULT_STRONG_SHARE` of the training prompts
   (anchors excluded) to the strong model — ranking, hence APGR, is unchanged.
The chosen recipe and every candidate's CV score are stored in the file's `meta`.

The sparse core the `words+dense` recipes fit with is `sparse_fit.fit_logistic`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from asymroute.classifiers.logistic_model import LogisticModel
from asymroute.evaluation.datasets import LabeledData
from asymroute.learning import anchors
from asymroute.learning.recipes import CANDIDATES, Recipe, TrainingRows, fit_recipe
from asymroute.learning.selection import cross_validate
from asymroute.learning.trainers import TrainOptions

DEFAULT_STRONG_SHARE = 0.25
"""The bias is shifted so that threshold 0.5 sends this share of the training prompts to the
strong model (ranking, hence APGR, is unchanged); `asymroute calibrate` sets your own share."""
FloatArray = npt.NDArray[np.float64]


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
