"""Task heads: a training task's own head ranks the prompts that look like that task.

The embedding router's head is one direction for every task and for the written conversations.
Inside a task it ranks less well than a head fitted on that task's rows alone (in-task GSM8K
0.565 against 0.647, MMLU 0.570 against 0.673; `bench/own_labels_ceiling.py`). A router file
may therefore carry one extra linear head per training task, kept by the trainer only where it
beats the main head in cross-validation on its task (`asymroute.learning.task_heads`).

A task head acts on a prompt in proportion to its gate: the share of the prompt's nearest bank
prompts (the file's own bank of labelled vectors) that come from its task *and* lie at cosine
`near` or more. A benchmark prompt's neighbours in its own task are that close (median about
0.54 for GSM8K, 0.87 for ARC); most conversation turns' nearest benchmark prompts are not (a
median of 0.26), so everyday traffic keeps the main head's score.

With gate g, the score before the sigmoid becomes (1 − g) · main + g · (m + s · z): z is the
task head's logit standardised on its task's rows and clipped to ±`clip` (no extrapolation off
the task), m and s the main score's mean and spread on those rows. The task head then decides
the order inside its task, and the main head keeps deciding where the task sits against
everything else (and so the threshold's meaning).

Measured on the shipped file (`bench/five_tasks.py`; docs/evaluation.md, "Task heads"): in-task
5-fold GSM8K 0.565 → 0.630 and MMLU 0.570 → 0.609 (the kept heads), held-out tasks and the
conversational sets within their noise of the main head alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
NEIGHBOURS = 20
NEAR = 0.45
CLIP = 3.0


@dataclass
class TaskHeads:
    tasks: list[str]
    """The tasks with a head, names as in the router file's `tasks`."""
    weights: FloatArray
    """One row per task: weights over [embedding, standardised dense features]."""
    bias: FloatArray
    dense_mean: FloatArray
    dense_scale: FloatArray
    own_stats: FloatArray
    """Per task, the mean and spread of the head's logit on its task's rows."""
    main_stats: FloatArray
    """Per task, the mean and spread of the main score on its task's rows."""
    neighbours: int = NEIGHBOURS
    near: float = NEAR
    clip: float = CLIP

    def gates(
        self,
        similarity: npt.NDArray[np.float32],
        bank_task: npt.NDArray[Any],
        file_tasks: list[str],
    ) -> FloatArray:
        """Per prompt (rows of `similarity` to the bank) and task head, the share of the prompt's
        `neighbours` nearest bank rows that are the task's and at cosine `near` or more."""
        if similarity.shape[1] == 0:  # a file without a bank: no prompt looks like a task
            return np.zeros((len(similarity), len(self.tasks)))
        k = min(self.neighbours, similarity.shape[1])
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        close = np.take_along_axis(similarity, nearest, axis=1) >= self.near
        task_of_row = bank_task[nearest]
        columns = [file_tasks.index(t) for t in self.tasks]
        return np.stack(
            [((task_of_row == c) & close).sum(axis=1) / k for c in columns], axis=1
        ).astype(float)

    def standardised(self, vectors: npt.NDArray[Any], dense: FloatArray) -> FloatArray:
        """Each head's logit, standardised on its task's rows and clipped: (prompts, tasks)."""
        columns = []
        for t in range(len(self.tasks)):
            x = np.hstack([vectors, (dense - self.dense_mean[t]) / self.dense_scale[t]])
            columns.append(x @ self.weights[t] + self.bias[t])
        z = (np.stack(columns, axis=1) - self.own_stats[:, 0]) / self.own_stats[:, 1]
        return np.asarray(np.clip(z, -self.clip, self.clip), dtype=float)

    def adjust(
        self, main: FloatArray, vectors: npt.NDArray[Any], dense: FloatArray, gates: FloatArray
    ) -> FloatArray:
        """The main score with each task head's order handed over in proportion to its gate."""
        if not gates.any():
            return main
        target = self.main_stats[:, 0] + self.main_stats[:, 1] * self.standardised(vectors, dense)
        return np.asarray(main + (gates * (target - main[:, None])).sum(axis=1), dtype=float)

    # --- file format (a section of the embedding router file) -----------------------------

    def to_json(self) -> dict[str, Any]:
        def rows(array: FloatArray) -> list[list[float]]:
            return [[float(f"{x:.9g}") for x in row] for row in np.atleast_2d(array)]

        return {
            "tasks": self.tasks,
            "weights": rows(self.weights),
            "bias": [float(f"{x:.9g}") for x in self.bias],
            "dense_mean": rows(self.dense_mean),
            "dense_scale": rows(self.dense_scale),
            "own_stats": rows(self.own_stats),
            "main_stats": rows(self.main_stats),
            "neighbours": self.neighbours,
            "near": self.near,
            "clip": self.clip,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskHeads:
        count = len(data["tasks"])

        def table(key: str) -> FloatArray:
            return np.array(data[key], dtype=float).reshape(count, -1)

        return cls(
            tasks=[str(t) for t in data["tasks"]],
            weights=table("weights"),
            bias=np.array(data["bias"], dtype=float).reshape(count),
            dense_mean=table("dense_mean"),
            dense_scale=table("dense_scale"),
            own_stats=table("own_stats"),
            main_stats=table("main_stats"),
            neighbours=int(data["neighbours"]),
            near=float(data["near"]),
            clip=float(data["clip"]),
        )

    def problems(self, width: int, dense_width: int, file_tasks: list[str]) -> list[str]:
        """What is wrong with this section against its router file (empty when nothing)."""
        out = []
        count = len(self.tasks)
        if any(t not in file_tasks for t in self.tasks):
            out.append("a task head names a task the file does not have")
        shapes = (
            self.weights.shape == (count, width + dense_width)
            and self.dense_mean.shape == self.dense_scale.shape == (count, dense_width)
            and self.own_stats.shape == self.main_stats.shape == (count, 2)
        )
        if not shapes:
            out.append("task head sizes do not match the file")
        elif not all(
            np.all(np.isfinite(a))
            for a in (self.weights, self.bias, self.dense_mean, self.own_stats, self.main_stats)
        ):
            out.append("non-finite task head weights")
        elif (self.dense_scale <= 0).any() or (self.own_stats[:, 1] <= 0).any():
            out.append("non-positive task head scale")
        if self.neighbours < 1 or not self.clip > 0:
            out.append("bad task head neighbours or clip")
        return out
