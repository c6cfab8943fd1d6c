"""Train the embedding router: embed once, choose a family by inner CV over whole tasks, fit.

`train_embedding_router(data, options)` is the `embedding` training target (`asymroute train
--router embedding [--embedder NAME]`); `train_on_rows` is the same on prompts already embedded
(the benchmark embeds every prompt once and reuses the vectors across its splits).

1. Rows: labelled prompts plus the hand-written anchors (`anchors`) and the written
   conversations (`written_conversations`), each labelled with the soft `gain` (1 only strong
   right, 0 only weak right, 0.5 they agree). Every task gets the same total weight, so 14k MMLU
   rows do not drown 300 MBPP rows: the router is meant for traffic of every kind, not for the
   largest file. The conversations weigh 1, 3 or 6 tasks' worth (the recipe says which).
2. Candidates (`embedding_recipes.CANDIDATES`): `linear` (L2 logistic head on the embedding plus
   the dense prompt-surface features, exact Newton fit), `neighbours` (similarity-weighted mean
   gain of the k nearest labelled prompts), and `blend` (the sum of both, each standardised);
   heads fitted on all rows or `within` tasks; each optionally plus a prompt-length prior
   (`length`) or a `learned` part.
3. Inner cross-validation inside the training rows only (`embedding_cv`): whole tasks per fold
   plus an everyday fold (held-out fifths of the written conversations), mean APGR per
   candidate; the best wins, earlier candidates win ties. Anchors are in every training fold,
   never in a validation fold.
4. Fit the winner on everything; 0.5 is put where the written conversations go to the frontier
   in their labelled share (at the benchmark prompts' 75th percentile without them).
5. Task heads (`task_head_fit`): a head per training task on its rows alone, kept where it
   ranks its task better than the winner, used where a prompt's near neighbours are its task's.
   They are fitted once, on the final model: inner CV holds whole tasks out, where a task head
   has nothing to act on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from asymroute.classifiers.embedding_model import LENGTH_COLUMN, EmbeddingRouterModel
from asymroute.embedders import DEFAULT_EMBEDDER
from asymroute.evaluation.datasets import LabeledData
from asymroute.learning import anchors
from asymroute.learning.embedded_rows import (
    CONVERSATION_TASK,
    EmbeddedRows,
    embed_prompts,
    everyday_rows,
    head_sample,
    rows_of,
)
from asymroute.learning.embedding_cv import cross_validate
from asymroute.learning.embedding_recipes import (
    CANDIDATES,
    EmbeddingRecipe,
    fit_head,
    with_conversations,
)
from asymroute.learning.learned_part import fit_learned_part, learned_logits
from asymroute.learning.task_head_fit import fit_task_heads
from asymroute.learning.trainers import TrainOptions

STRONG_SHARE_AT_HALF = 0.25
MIN_LOGIT_SPREAD = 1e-3


REASON_BANK_ROWS_PER_TASK = 500
"""A `linear` router scores without its bank, which then serves only the reasons' nearest
labelled prompts: a sample of this many rows per task (plus the anchors) names the same tasks
at ~1/6 of the search time and memory of the full 17.6k rows."""


def fit(
    recipe: EmbeddingRecipe, rows: EmbeddedRows, extra: EmbeddedRows, embedder: str
) -> EmbeddingRouterModel:
    everything = rows.plus(with_conversations(extra, recipe.conversations))
    head = fit_head(everything, recipe.l2, recipe.within)
    tasks = sorted(set(everything.tasks))
    bank = (
        head_sample(everything, REASON_BANK_ROWS_PER_TASK)
        if recipe.family == "linear"
        else everything
    )
    model = EmbeddingRouterModel(
        embedder=embedder,
        dimension=rows.vectors.shape[1],
        family=recipe.family,
        head=head.weights,
        bias=head.bias,
        dense_mean=head.mean,
        dense_scale=head.scale,
        bank=np.round(bank.vectors * 127.0).clip(-127, 127).astype(np.int8),
        bank_gain=bank.gain.astype(np.int8),
        bank_task=np.array([tasks.index(t) for t in bank.tasks], dtype=np.int16),
        tasks=tasks,
        k=recipe.k,
        temperature=recipe.temperature,
        length_weight=recipe.length,
        meta={"recipe": recipe.name},
    )
    linear = model.linear_logits(rows.vectors, rows.dense)
    model.linear_stats = (float(linear.mean()), max(float(linear.std()), 1e-9))
    if recipe.family != "linear":
        near = model.neighbour_scores(rows.vectors)
        model.neighbour_stats = (float(near.mean()), max(float(near.std()), 1e-9))
    part = None
    if recipe.learned:
        model.learned = fit_learned_part(everything)
        model.learned_weight = recipe.learned
        part = learned_logits(model.learned, rows.prompts or [])
        # A part whose logits barely vary (a degenerate label) must add nothing, not its
        # rounding noise blown up by a tiny spread.
        model.learned_stats = (float(part.mean()), max(float(part.std()), MIN_LOGIT_SPREAD))
    length = rows.dense[:, LENGTH_COLUMN]
    model.length_stats = (float(length.mean()), max(float(length.std()), 1e-9))
    mix = model.mix(rows.vectors, rows.dense, learned_logits=part)
    model.spread = max(float(mix.std()) / 2.0, 1e-9)
    conversations = extra.subset(np.flatnonzero(np.array(extra.tasks) == CONVERSATION_TASK))
    if len(conversations) and conversations.strong.any():
        # Everyday traffic is what the default threshold is for: at 0.5 the written
        # conversations go to the frontier in the share labelled so (about 45%).
        share = float(conversations.strong.mean())
        everyday = model.mix(conversations.vectors, conversations.dense, conversations.prompts)
        model.center = float(np.quantile(everyday, 1.0 - share))
        model.meta["threshold_0_5"] = f"conversations' labelled frontier share ({share:.3f})"
    else:
        model.center = float(np.quantile(mix, 1.0 - STRONG_SHARE_AT_HALF))
    model.meta["strong_share_at_0_5"] = round(float(np.mean(mix >= model.center)), 4)
    return model


def train_on_rows(
    rows: EmbeddedRows,
    extra: EmbeddedRows,
    embedder: str,
    candidates: Sequence[EmbeddingRecipe] = CANDIDATES,
) -> EmbeddingRouterModel:
    scores = cross_validate(rows, extra, candidates) if len(candidates) > 1 else {}
    best = candidates[0]
    for c in candidates[1:]:
        if scores[c.name] > scores[best.name]:
            best = c
    model = fit(best, rows, extra, embedder)
    model.task_heads = fit_task_heads(model, rows)
    model.meta.update(
        {
            "target": f"embedding: recipe {best.name} chosen by inner CV over whole tasks",
            "inner_cv_apgr": {name: round(value, 4) for name, value in scores.items()},
            "task_rows": {t: rows.tasks.count(t) for t in sorted(set(rows.tasks))},
            "anchors": {
                "rows": sum(t != CONVERSATION_TASK for t in extra.tasks),
                "weight": anchors.ANCHOR_WEIGHT,
            },
            "written_conversations": extra.tasks.count(CONVERSATION_TASK),
        }
    )
    return model


def train_embedding_router(data: LabeledData, options: TrainOptions) -> EmbeddingRouterModel:
    embedder = options.embedder or DEFAULT_EMBEDDER
    vectors = embed_prompts(embedder, data.prompts, show_progress=options.show_progress)
    model = train_on_rows(rows_of(data, vectors), everyday_rows(embedder), embedder)
    model.meta.update({"weak": data.weak, "strong": data.strong, "rows": len(data)})
    return model
