"""Inner cross-validation of the embedding router's recipes, inside the training rows only.

Folds: whole benchmark tasks (leave one task out when there are 2-5 tasks; `selection.
inner_folds` otherwise), plus everyday traffic as one fold of its own. With the written
conversations (`written_conversations`) the everyday fold is their 5-fold average: train on
everything but a fifth of them, score that fifth. Without them it scores the anchors, trained
on the benchmark rows alone. Everyday validation counts the strong model right everywhere and
the weak one right on the local items. A candidate's score is the mean APGR over the folds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from asymroute.classifiers.embedding_model import LENGTH_COLUMN, neighbour_gain
from asymroute.classifiers.logistic_model import LogisticModel
from asymroute.evaluation.metrics import apgr, threshold_curve
from asymroute.learning.embedded_rows import CONVERSATION_TASK, EmbeddedRows
from asymroute.learning.embedding_recipes import (
    EmbeddingRecipe,
    fit_head,
    head_logits,
    with_conversations,
)
from asymroute.learning.learned_part import fit_learned_part, learned_logits
from asymroute.learning.selection import inner_folds

FloatArray = npt.NDArray[np.float64]
MAX_TASK_FOLDS = 5
CONVERSATION_FOLDS = 5


def z_score(values: FloatArray) -> FloatArray:
    return (values - values.mean()) / max(float(values.std()), 1e-9)


def task_folds(tasks: Sequence[str]) -> npt.NDArray[np.int64]:
    names = sorted(set(tasks))
    if 2 <= len(names) <= MAX_TASK_FOLDS:
        return np.array([names.index(t) for t in tasks], dtype=np.int64)
    return inner_folds(tasks)


Split = tuple[EmbeddedRows, EmbeddedRows]


def _everyday(valid: EmbeddedRows) -> EmbeddedRows:
    return replace(valid, strong=np.ones(len(valid), dtype=bool))


def everyday_splits(rows: EmbeddedRows, extra: EmbeddedRows) -> list[Split]:
    """The everyday fold's train/validation pairs (none when `extra` has a single label)."""
    is_conversation = np.array(extra.tasks) == CONVERSATION_TASK
    conversations = np.flatnonzero(is_conversation)
    if len(conversations) >= CONVERSATION_FOLDS:
        fold = np.random.default_rng(0).permutation(len(conversations)) % CONVERSATION_FOLDS
        others = np.flatnonzero(~is_conversation)
        return [
            (
                rows.plus(extra.subset(np.concatenate([others, conversations[fold != f]]))),
                _everyday(extra.subset(conversations[fold == f])),
            )
            for f in range(CONVERSATION_FOLDS)
        ]
    if len(extra) and extra.weak.any() and not extra.weak.all():
        return [(rows, _everyday(extra))]
    return []


def cross_validate(
    rows: EmbeddedRows, extra: EmbeddedRows, candidates: Sequence[EmbeddingRecipe]
) -> dict[str, float]:
    """Mean validation APGR of each candidate over the task folds and the everyday fold."""
    folds = task_folds(rows.tasks)
    groups: list[list[Split]] = [
        [
            (
                rows.subset(np.flatnonzero(folds != f)).plus(extra),
                rows.subset(np.flatnonzero(folds == f)),
            )
        ]
        for f in np.unique(folds)
    ]
    groups.append(everyday_splits(rows, extra))
    results: dict[str, list[float]] = {c.name: [] for c in candidates}
    learned_cache: dict[tuple[str, ...], LogisticModel] = {}
    for splits in groups:
        fold_results: dict[str, list[float]] = {c.name: [] for c in candidates}
        for train, valid in splits:
            weak, strong = float(valid.weak.mean()), float(valid.strong.mean())
            if weak == strong:
                continue
            scores = _fold_scores(train, valid, candidates, learned_cache)
            for name, score in scores.items():
                curve = threshold_curve("cv", score, valid.weak, valid.strong)
                fold_results[name].append(apgr(curve, weak, strong))
        for name, values in fold_results.items():
            if values:
                results[name].append(float(np.mean(values)))
    return {name: float(np.mean(v)) if v else float("nan") for name, v in results.items()}


def _fold_scores(
    train: EmbeddedRows,
    valid: EmbeddedRows,
    candidates: Sequence[EmbeddingRecipe],
    learned_cache: dict[tuple[str, ...], LogisticModel],
) -> dict[str, FloatArray]:
    """Every candidate's scores of `valid`, sharing the fits that candidates have in common.
    The learned part leaves the conversations out, so the everyday folds share one fit
    (`learned_cache`, keyed by the benchmark tasks trained on)."""
    learned = np.zeros(len(valid))
    if any(c.learned for c in candidates) and valid.prompts is not None:
        tasks = tuple(sorted(set(train.tasks) - {CONVERSATION_TASK}))
        if tasks not in learned_cache:
            learned_cache[tasks] = fit_learned_part(train)
        learned = z_score(learned_logits(learned_cache[tasks], valid.prompts))
    heads = {(c.l2, c.within, c.conversations) for c in candidates if c.family != "neighbours"}
    linear = {
        (l2, within, weight): head_logits(
            fit_head(with_conversations(train, weight), l2, within), valid.vectors, valid.dense
        )
        for l2, within, weight in heads
    }
    near = {
        (c.k, c.temperature): neighbour_gain(
            train.vectors, train.gain, valid.vectors, c.k, c.temperature
        )
        for c in candidates
        if c.family != "linear"
    }
    out = {}
    for c in candidates:
        if c.family == "neighbours":
            score = z_score(near[(c.k, c.temperature)])
        else:
            score = z_score(linear[(c.l2, c.within, c.conversations)])
            if c.family == "blend":
                score = score + z_score(near[(c.k, c.temperature)])
        out[c.name] = (
            score + c.length * z_score(valid.dense[:, LENGTH_COLUMN]) + c.learned * learned
        )
    return out
