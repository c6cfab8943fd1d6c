"""Labelled prompts as embedding rows: vectors, dense features, labels, weights and tasks.

`embed_prompts` embeds in batches with a progress bar; `rows_of` turns `LabeledData` into rows;
`everyday_rows` adds the hand-written anchors (task `anchor`) and the written conversational
training set (task `conversation`); `balanced_weight` gives every task (the conversations
included) the same total weight. Used by `embedding_trainer` and the benchmarks, which embed
once and reuse the rows across splits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from asymroute.classifiers.embedding_model import dense_rows
from asymroute.embedders import get_embedder
from asymroute.evaluation.datasets import LabeledData
from asymroute.evaluation.progress import Progress
from asymroute.learning import anchors, written_conversations

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ANCHOR_TASK = "anchor"
CONVERSATION_TASK = "conversation"


@dataclass(frozen=True)
class EmbeddedRows:
    vectors: npt.NDArray[np.float32]
    dense: FloatArray
    weak: BoolArray
    strong: BoolArray
    weight: FloatArray
    tasks: list[str]
    prompts: list[str] | None = None
    """The prompts' text, where the caller has it: the `learned` part of a blend reads it."""

    def __len__(self) -> int:
        return len(self.tasks)

    def subset(self, index: npt.NDArray[np.int64]) -> EmbeddedRows:
        return EmbeddedRows(
            self.vectors[index],
            self.dense[index],
            self.weak[index],
            self.strong[index],
            self.weight[index],
            [self.tasks[i] for i in index],
            None if self.prompts is None else [self.prompts[i] for i in index],
        )

    def plus(self, other: EmbeddedRows) -> EmbeddedRows:
        return EmbeddedRows(
            np.vstack([self.vectors, other.vectors]),
            np.vstack([self.dense, other.dense]),
            np.concatenate([self.weak, other.weak]),
            np.concatenate([self.strong, other.strong]),
            np.concatenate([self.weight, other.weight]),
            self.tasks + other.tasks,
            None if self.prompts is None or other.prompts is None else self.prompts + other.prompts,
        )

    @property
    def gain(self) -> FloatArray:
        return self.strong.astype(float) - self.weak.astype(float)


def embed_prompts(embedder_name: str, prompts: Sequence[str], *, show_progress: bool) -> FloatArray:
    """Unit vectors of `prompts`, batched, with a progress bar on a terminal."""
    embedder = get_embedder(embedder_name)
    label = f"embedding with {embedder_name}"
    with Progress(len(prompts), label, enabled=None if show_progress else False) as bar:
        fast = getattr(embedder, "embed_matrix", None)
        if fast is not None:
            return np.asarray(fast(list(prompts), bar.advance), dtype=np.float32)
        vectors = []
        for start in range(0, len(prompts), 64):
            vectors.extend(embedder.embed_documents(list(prompts[start : start + 64])))
            bar.advance(min(64, len(prompts) - start))
    matrix = np.asarray(vectors, dtype=np.float32)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def task_of(group: str) -> str:
    """RouteLLM's MMLU files are one task (mmlu_*); other groups are tasks themselves."""
    return "mmlu" if group.startswith("mmlu") else group.removesuffix("_responses")


def rows_of(data: LabeledData, vectors: FloatArray) -> EmbeddedRows:
    return EmbeddedRows(
        np.asarray(vectors, dtype=np.float32),
        dense_rows(data.prompts),
        data.weak_correct,
        data.strong_correct,
        np.ones(len(data)),
        [task_of(g) for g in data.groups],
        list(data.prompts),
    )


def anchor_rows(embedder_name: str) -> EmbeddedRows:
    prompts = [*anchors.LOCAL, *anchors.FRONTIER]
    weak = np.array([True] * len(anchors.LOCAL) + [False] * len(anchors.FRONTIER))
    return EmbeddedRows(
        np.asarray(embed_prompts(embedder_name, prompts, show_progress=False), dtype=np.float32),
        dense_rows(prompts),
        weak,
        ~weak,
        np.full(len(prompts), anchors.ANCHOR_WEIGHT),
        [ANCHOR_TASK] * len(prompts),
        prompts,
    )


def conversation_rows(embedder_name: str, translated: bool = False) -> EmbeddedRows:
    """The written conversational training set (`written_conversations`, with `translated` its
    translations too), weight 1 per row: the recipe sets the group's weight
    (`EmbeddingRecipe.conversations`)."""
    items = written_conversations.load(translated)
    texts = [item.text for item in items]
    frontier = np.array([item.frontier for item in items])
    return EmbeddedRows(
        np.asarray(embed_prompts(embedder_name, texts, show_progress=False), dtype=np.float32),
        dense_rows(texts),
        ~frontier,
        frontier,
        np.ones(len(items)),
        [CONVERSATION_TASK] * len(items),
        texts,
    )


def everyday_rows(embedder_name: str) -> EmbeddedRows:
    """Everything a router learns besides the benchmark rows: anchors and conversations."""
    return anchor_rows(embedder_name).plus(conversation_rows(embedder_name))


def balanced_weight(rows: EmbeddedRows) -> FloatArray:
    """Each task's rows share the same total weight; anchors keep their own weight."""
    tasks = np.array(rows.tasks)
    weight = rows.weight.copy()
    data_tasks = [t for t in set(rows.tasks) if t != ANCHOR_TASK]
    n_data = int(np.sum(tasks != ANCHOR_TASK))
    for task in data_tasks:
        mask = tasks == task
        weight[mask] *= n_data / len(data_tasks) / mask.sum()
    return weight


HEAD_ROWS_PER_TASK = 2000
"""Heads are fitted on at most this many rows per task (a fixed random sample): tasks weigh
the same in total anyway (`balanced_weight`), and an exact Newton fit on 14k MMLU rows × 409
columns costs ~30 s on one core, repeated for every fold of every split."""


def head_sample(rows: EmbeddedRows, per_task: int = HEAD_ROWS_PER_TASK) -> EmbeddedRows:
    """At most `per_task` rows of each task (a fixed random sample); all anchors."""
    return rows.subset(head_sample_index(rows, per_task))


def head_sample_index(
    rows: EmbeddedRows, per_task: int = HEAD_ROWS_PER_TASK
) -> npt.NDArray[np.int64]:
    tasks = np.array(rows.tasks)
    rng = np.random.default_rng(0)
    keep = []
    for task in sorted(set(rows.tasks)):
        index = np.flatnonzero(tasks == task)
        if task != ANCHOR_TASK and len(index) > per_task:
            index = np.sort(rng.choice(index, per_task, replace=False))
        keep.append(index)
    return np.concatenate(keep)
