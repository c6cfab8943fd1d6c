"""What the embedding router's inner CV chooses among: recipes, the searched grid, the linear head.

A recipe names a family (`linear` head, `neighbours`, or a `blend` of both), the head's l2 and
whether it is fitted `within` tasks, the neighbours' k, and three weights: of the written
conversations in training (`conversations`), of a prompt-length prior (`length`) and of a
`learned` part (`learned_part`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from asymroute.classifiers.embedding_model import Vectors
from asymroute.learning.embedded_rows import (
    CONVERSATION_TASK,
    HEAD_ROWS_PER_TASK,
    EmbeddedRows,
    balanced_weight,
    head_sample_index,
)
from asymroute.learning.fitting import fit_newton, standardise
from asymroute.learning.learned_part import LEARNED_WEIGHTS

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class EmbeddingRecipe:
    family: str
    l2: float = 0.01
    k: int = 50
    temperature: float = 0.05
    within: bool = False
    """Fit the head on features centred inside each task: it learns what makes a prompt harder
    than others of its own task (the ranking a held-out task is scored on), while topic, i.e.
    which task a prompt resembles, is left to the neighbours and the written conversations."""
    length: float = 0.0
    """Weight of the standardised prompt length (log characters) added to the standardised
    score: within every one of the five tasks longer prompts gain more from the strong model,
    a prior that carries to unseen tasks better than pooled weights learned across tasks."""
    learned: float = 0.0
    """Weight of the standardised logit of a `learned` part (`learned_part`) added to the
    score: the dense-feature router and the embedding win on different tasks."""
    conversations: float = 1.0
    """Total training weight of the written conversations (`written_conversations`), in units
    of one benchmark task's: they teach which kinds of request need the frontier."""

    @property
    def name(self) -> str:
        head = f"{'within-' if self.within else ''}linear/l2={self.l2:g}"
        suffix = f"+length={self.length:g}" if self.length else ""
        suffix += f"+learned={self.learned:g}" if self.learned else ""
        suffix += f"+conversations={self.conversations:g}" if self.conversations != 1.0 else ""
        if self.family == "linear":
            return head + suffix
        if self.family == "neighbours":
            return f"neighbours/k={self.k}{suffix}"
        return f"blend/{head}/k={self.k}{suffix}"


L2_GRID = (1e-2, 1e-1, 1.0)
K_GRID = (50, 200, 800)
"""First grid (1e-3..1e-1, k 10..200) peaked at its edge (l2=0.1, k=200) in the shipped file's
inner CV; moved one step, before any held-out figure was computed."""
LENGTH_GRID = (0.0,)
"""The length prior is off in the searched grid. With it (0.5, 1.0) inner CV over the five tasks
chose `neighbours/k=800+length=1` (0.582 vs 0.550 without), but that file sent every short
everyday request local at the default threshold ("Prove that every bounded monotone sequence
converges" scored 0.015): the everyday anchors of the unit tests failed, and the conversational
development set fell from 0.78 to 0.74. Everyday traffic is short; length is no prior there."""
CONVERSATION_GRID = (1.0, 3.0, 6.0)
"""Measured before the grid was fixed (leave one task out, and the independent conversational
development set, which is never trained on): the development set rose with the weight (0.69 at
1, 0.72 at 3, 0.73 at 6) while the held-out tasks' mean stayed within 0.535-0.543."""
FAMILIES = tuple(
    replace(recipe, length=length)
    for length in LENGTH_GRID
    for recipe in (
        *(EmbeddingRecipe("linear", l2=l2, within=w) for w in (False, True) for l2 in L2_GRID),
        *(EmbeddingRecipe("neighbours", k=k) for k in K_GRID),
        *(
            EmbeddingRecipe("blend", l2=l2, k=k, within=w)
            for w in (False, True)
            for l2 in L2_GRID
            for k in K_GRID
        ),
    )
)
CANDIDATES = tuple(
    replace(recipe, conversations=weight) for weight in CONVERSATION_GRID for recipe in FAMILIES
)


def with_learned_weights(candidates: tuple[EmbeddingRecipe, ...]) -> tuple[EmbeddingRecipe, ...]:
    """Every candidate at every weight of the `learned` part (`LEARNED_WEIGHTS`)."""
    return tuple(replace(c, learned=w) for w in LEARNED_WEIGHTS for c in candidates)


BLEND_CANDIDATES = with_learned_weights(CANDIDATES)
"""`CANDIDATES` plus blends with a `learned` part (rows must carry their prompts). Not the
default grid: see docs/evaluation.md, "Blend `learned` into the embedding router (opt-in)"."""


def with_conversations(rows: EmbeddedRows, weight: float) -> EmbeddedRows:
    """`rows` with the written conversations' weight set: `balanced_weight` then gives them
    `weight` times one task's total."""
    if weight == 1.0 or CONVERSATION_TASK not in rows.tasks:
        return rows
    scale = np.where(np.array(rows.tasks) == CONVERSATION_TASK, weight, 1.0)
    return replace(rows, weight=rows.weight * scale)


@dataclass(frozen=True)
class Head:
    weights: FloatArray
    bias: float
    mean: FloatArray
    scale: FloatArray


EMBEDDING_SCALE = 16.0
"""Unit vectors have components of ~1/sqrt(384); scaled to ~unit variance so that one l2 suits
both the embedding and the standardised dense columns."""


def fit_head(
    rows: EmbeddedRows,
    l2: float,
    within: bool = False,
    label: FloatArray | None = None,
    per_task: int = HEAD_ROWS_PER_TASK,
) -> Head:
    """The linear head; `label` (one per row, in [0, 1]) replaces the soft gain label; at most
    `per_task` rows of each task are fitted (`head_sample_index`)."""
    index = head_sample_index(rows, per_task)
    y = (rows.gain + 1.0) / 2.0 if label is None else label
    rows, y = rows.subset(index), y[index]
    mean, scale = standardise(rows.dense)
    x = np.hstack([rows.vectors * EMBEDDING_SCALE, (rows.dense - mean) / scale])
    weight = balanced_weight(rows)
    if within:
        tasks = np.array(rows.tasks)
        for task in set(rows.tasks):
            mask = tasks == task
            x[mask] -= np.average(x[mask], axis=0, weights=weight[mask])
    weights, bias = fit_newton(x, y, weight, l2)
    weights[: rows.vectors.shape[1]] *= EMBEDDING_SCALE
    return Head(weights, bias, mean, scale)


def head_logits(head: Head, vectors: Vectors, dense: FloatArray) -> FloatArray:
    x = np.hstack([vectors, (dense - head.mean) / head.scale])
    return np.asarray(x @ head.weights + head.bias, dtype=float)
