"""The cascade replay with its training: cross-fit the learned models, then judge and report.

`evaluate_cascade` is the whole `asymroute eval --cascade` run: the answer scorer and the
learned prompt model are cross-fitted (each row scored by a model trained on the other folds,
never on itself; `answer_trainer.cross_fitted_scorers`, `sparse_fit.fit_logistic`), then
`evaluation.cascade` judges every recorded weak answer and reports the curves. It lives with
the trainers because it trains; `evaluation` stays below them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from asymroute.evaluation.cascade import FloatArray, Reply, cascade_report, judge_answers
from asymroute.evaluation.cascade_report import CascadeReport
from asymroute.evaluation.datasets import LabeledData
from asymroute.learning.answer_trainer import cross_fitted_scorers, fold_ids
from asymroute.learning.sparse_fit import fit_logistic
from asymroute.validators.base import ValidationPolicy


def cross_fitted_prompt_scores(
    data: LabeledData, folds: npt.NDArray[np.int64], show_progress: bool = False
) -> FloatArray:
    """The learned prompt model (hashed n-grams, `sparse_fit.fit_logistic`) scored
    out-of-fold on the same folds as the answer scorer: P(weak model fails) per prompt."""
    scores = np.zeros(len(data))
    for fold in range(int(folds.max()) + 1):
        train = folds != fold
        model = fit_logistic(
            [p for p, keep in zip(data.prompts, train, strict=True) if keep],
            ~data.weak_correct[train],
            show_progress=show_progress,
        )
        for i in np.flatnonzero(~train):
            scores[i] = model.probability(data.prompts[i])
    return scores


def evaluate_cascade(
    data: LabeledData,
    validators: Sequence[str],
    policy: ValidationPolicy,
    prompt_scores: dict[str, FloatArray],
    *,
    folds: int = 10,
    seed: int = 0,
    cross_fit_prompt: bool = True,
    prompt_threshold: float | None = None,
    local_free: bool = False,
    reply: Reply | None = None,
    show_progress: bool = True,
) -> CascadeReport:
    """The whole replay: cross-fit the answer scorer (when `scorer` is among the validators and
    no `scorer_model` file is given), judge every answer, report every curve."""
    scorers = None
    if "scorer" in validators and policy.scorer_model is None:
        scorers = cross_fitted_scorers(data, folds, seed)
        evaluation = f"cross-fitted: {folds}-fold, each row scored by a model that never saw it"
    elif "scorer" in validators:
        evaluation = f"file {policy.scorer_model} (in-sample if it was trained on these rows)"
    else:
        evaluation = "not used"
    scores = dict(prompt_scores)
    if cross_fit_prompt:
        ids = scorers[0] if scorers is not None else fold_ids(len(data), folds, seed)
        scores["learned prompt model (cross-fitted)"] = cross_fitted_prompt_scores(data, ids)
    judgements = judge_answers(
        data, validators, policy, scorers=scorers, reply=reply, show_progress=show_progress
    )
    return cascade_report(
        data,
        judgements,
        scores,
        validators=validators,
        scorer_evaluation=evaluation,
        prompt_threshold=prompt_threshold,
        local_free=local_free,
    )
