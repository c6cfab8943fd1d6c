"""The `learned` part of a blended embedding router: the dense-feature logistic model, refitted
on the embedding router's own benchmark rows, whose logit is added to the embedding score.

Why: leave one task out, the embedding head and the `learned` router win on different tasks
(GSM8K 0.537 vs 0.624, MMLU 0.576 vs 0.578); a weighted sum of their standardised scores, with
the weight chosen by inner cross-validation over whole tasks, lets each help where it does.

The part is fitted the way `asymroute train` fits `learned`: on every benchmark row at weight 1
plus the anchors, not task-balanced and without the written conversations. Measured leave one
task out beside an embedding head (conversations weight 3), task-balanced rows with the
conversations gave GSM8K 0.53, these rows 0.59: the length and number signal that ranks GSM8K
is what the conversations (short hard requests) teach the part to distrust. The label is
`disagree` (only rows where exactly one model is right), which `learned`'s own inner CV chose on
both RouteLLM splits; `pairwise` was also measured here, with the same held-out mean except
MMLU (0.528 against 0.570).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from asymroute.classifiers.logistic_model import LogisticModel
from asymroute.learning.embedded_rows import CONVERSATION_TASK, EmbeddedRows
from asymroute.learning.recipes import Recipe, TrainingRows, fit_recipe

FloatArray = npt.NDArray[np.float64]
LEARNED_RECIPE = Recipe(words=False, label="disagree", l2=1e-3)
LEARNED_WEIGHTS = (0.0, 0.5, 1.0, 2.0)
"""Weights of z(learned logit) searched by inner CV; 0 is the embedding router alone."""


def fit_learned_part(rows: EmbeddedRows) -> LogisticModel:
    """`LEARNED_RECIPE` on `rows` (which must carry their prompts), conversations left out."""
    if rows.prompts is None:
        raise ValueError("the learned part of a blend needs the rows' prompts")
    keep = np.flatnonzero(np.array(rows.tasks) != CONVERSATION_TASK)
    part = rows.subset(keep)
    assert part.prompts is not None
    return fit_recipe(
        LEARNED_RECIPE, TrainingRows(part.prompts, part.weak, part.strong, part.weight)
    )


def learned_logits(model: LogisticModel, prompts: Sequence[str]) -> FloatArray:
    return np.array([model.logit(p) for p in prompts], dtype=float)
