"""The embedding router's model file: a linear head and a labelled-neighbour bank, one JSON file.

File format (`"format": "asymroute-embedding-router/1"`):
- `embedder` and `dimension`: which vectors the file was trained on (`asymroute.embedders`);
- `family`: `linear`, `neighbours` or `blend` (chosen by inner cross-validation, see
  `embedding_trainer`);
- the linear head over [embedding, standardised dense features]: `head_f32_zlib_b64`, `bias`,
  `dense_mean`, `dense_scale` (`DENSE_COLUMNS`, prompt-surface features without a vocabulary);
- the neighbour bank: `bank_i8_zlib_b64` (unit vectors × 127 as int8), `bank_gain` (strong minus
  weak correctness per row: -1, 0, 1), `bank_task` (index into `tasks`), `k`, `temperature`.
  It holds vectors and task names only, never the prompts' text. A `linear` file keeps a sample
  (500 rows per task, all anchors) that serves only the reasons;
- optional `learned` (an `asymroute-logistic/1` model), `learned_weight`, `learned_stats`: a
  blended learned part (`asymroute.learning.learned_part`); absent or null otherwise;
- optional `task_heads`: one head per training task, handed the order of the prompts whose near
  neighbours are that task's (`asymroute.classifiers.task_heads`); absent or null otherwise;
- `center`, `spread`: the score is sigmoid((mix − center) / spread) where mix is z(linear),
  z(neighbours) or their sum (blend), plus `length_weight`·z(log characters) and
  `learned_weight`·z(learned logit), each z with the training rows' `*_stats`; center puts
  0.5 at the training prompts' 75th percentile, as the `learned` file does;
- `meta`: recipe, inner-CV APGR of each candidate, data provenance, training command.
"""

from __future__ import annotations

import base64
import functools
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from asymroute.classifiers.features import structural_values
from asymroute.classifiers.logistic_model import LogisticModel, ModelFileError
from asymroute.classifiers.task_heads import TaskHeads
from asymroute.json_files import inner_cv_phrase, read_router_file, write_json_file

FILE_FORMAT = "asymroute-embedding-router/1"
FAMILIES = ("linear", "neighbours", "blend")
DENSE_COLUMNS = (
    "log_chars", "log_words", "log_numbers", "log_distinct_numbers", "log_math_operators",
    "digit_share", "log_max_number_digits", "decimals_or_fractions", "percent_or_currency",
    "code", "log_questions", "log_sentences", "choices", "mean_word_length", "log_newlines",
    "uppercase_share", "log_stem_chars", "log_option_chars", "log_max_number",
    "emphasised_negation", "code_request", "math_terms", "multistep_terms", "demand_terms",
    "smalltalk_terms",
)  # fmt: skip
"""`features.DENSE` without the vocabulary-based columns (no training words in the file)."""
LENGTH_COLUMN = DENSE_COLUMNS.index("log_chars")
FloatArray = npt.NDArray[np.float64]
Vectors = npt.NDArray[np.floating[Any]]
"""Unit-norm embedding rows, float32 or float64."""


def dense_row(prompt: str) -> FloatArray:
    values = structural_values(prompt)
    return np.array([values.get(name, 0.0) for name in DENSE_COLUMNS], dtype=float)


def dense_rows(prompts: list[str]) -> FloatArray:
    return np.array([dense_row(p) for p in prompts], dtype=float).reshape(
        len(prompts), len(DENSE_COLUMNS)
    )


CHUNK = 512
"""Queries per similarity block: bounds memory to CHUNK × bank rows floats."""


def similarities(queries: Vectors, bank: Vectors) -> npt.NDArray[np.float32]:
    """Cosine similarities (unit vectors), one row per query.

    One query (a request being routed) goes through einsum, not `@`: OpenBLAS runs such a
    matrix-vector product on all cores, and its threads then spin idle for a while after each
    one. In the gateway that cost about 14 ms of CPU per request (router graph, one request at
    a time: 23 ms of CPU against 8 ms with einsum), which halved throughput on 2 cores; einsum's
    own loop takes 0.1 ms for the shipped bank. Batches (training, evaluation) keep BLAS."""
    queries = queries.astype(np.float32)
    if len(queries) == 1:
        return np.einsum("ij,kj->ik", queries, bank)
    return np.asarray(queries @ bank.T, dtype=np.float32)


def neighbour_gain(
    bank: Vectors,
    gain: npt.ArrayLike,
    queries: Vectors,
    k: int,
    temperature: float,
) -> FloatArray:
    """For each query, the softmax(similarity / temperature)-weighted mean gain of its k
    nearest bank rows (cosine similarity of unit vectors)."""
    gains = np.asarray(gain, dtype=float)
    k = max(1, min(k, len(bank)))
    out = np.empty(len(queries))
    for start in range(0, len(queries), CHUNK):
        sims = similarities(queries[start : start + CHUNK], bank)
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        top_sims = np.take_along_axis(sims, top, axis=1).astype(float)
        weights = np.exp((top_sims - top_sims.max(axis=1, keepdims=True)) / temperature)
        out[start : start + CHUNK] = (weights * gains[top]).sum(axis=1) / weights.sum(axis=1)
    return out


@dataclass(frozen=True)
class Neighbour:
    task: str
    similarity: float
    gain: int


@dataclass
class EmbeddingRouterModel:
    embedder: str
    dimension: int
    family: str
    head: FloatArray
    bias: float
    dense_mean: FloatArray
    dense_scale: FloatArray
    bank: npt.NDArray[np.int8]
    bank_gain: npt.NDArray[np.int8]
    bank_task: npt.NDArray[np.int16]
    tasks: list[str]
    k: int
    temperature: float
    length_weight: float = 0.0
    length_stats: tuple[float, float] = (0.0, 1.0)
    linear_stats: tuple[float, float] = (0.0, 1.0)
    neighbour_stats: tuple[float, float] = (0.0, 1.0)
    center: float = 0.0
    spread: float = 1.0
    meta: dict[str, Any] = field(default_factory=dict)
    learned: LogisticModel | None = None
    """A dense-feature `learned` model whose standardised logit is added with `learned_weight`
    (a blend chosen by inner CV; None when the recipe has no learned part)."""
    learned_weight: float = 0.0
    learned_stats: tuple[float, float] = (0.0, 1.0)
    task_heads: TaskHeads | None = None

    # --- scoring (vectors are unit-norm rows; dense is `dense_rows`) ------------------------

    def linear_logits(self, vectors: Vectors, dense: FloatArray) -> FloatArray:
        x = np.hstack([vectors, (dense - self.dense_mean) / self.dense_scale])
        return np.asarray(x @ self.head + self.bias, dtype=float)

    def neighbour_scores(self, vectors: Vectors) -> FloatArray:
        """Similarity-weighted mean gain of the k nearest bank rows."""
        return neighbour_gain(self.unit_bank, self.bank_gain, vectors, self.k, self.temperature)

    @functools.cached_property
    def unit_bank(self) -> npt.NDArray[np.float32]:
        """The bank as float32 unit vectors, converted once (4 bytes × 384 per row: 27 MB for a
        full 17.6k-row bank, 3.6 MB for a `linear` file's 500 rows per task)."""
        return np.asarray(self.bank, dtype=np.float32) / np.float32(127.0)

    def mix(
        self,
        vectors: Vectors,
        dense: FloatArray,
        prompts: Sequence[str] | None = None,
        learned_logits: FloatArray | None = None,
    ) -> FloatArray:
        """The score before the sigmoid; the learned part reads `prompts` unless its logits
        are given (`learned_logits`, computed once by a trainer)."""
        length = (dense[:, LENGTH_COLUMN] - self.length_stats[0]) / self.length_stats[1]
        mix = self._family_mix(vectors, dense) + self.length_weight * length
        if self.learned is None or not self.learned_weight:
            return mix
        if learned_logits is None:
            if prompts is None:
                raise ValueError("this router blends a learned part: pass the prompts too")
            learned_logits = np.array([self.learned.logit(p) for p in prompts], dtype=float)
        part = (learned_logits - self.learned_stats[0]) / self.learned_stats[1]
        return mix + self.learned_weight * part

    def _family_mix(self, vectors: Vectors, dense: FloatArray) -> FloatArray:
        linear = (self.linear_logits(vectors, dense) - self.linear_stats[0]) / self.linear_stats[1]
        if self.family == "linear":
            return linear
        neighbours = self.neighbour_scores(vectors)
        near = (neighbours - self.neighbour_stats[0]) / self.neighbour_stats[1]
        if self.family == "neighbours":
            return near
        return linear + near

    def task_gates(
        self, vectors: Vectors, similarity: npt.NDArray[np.float32] | None = None
    ) -> FloatArray:
        """Per prompt, how much each task head acts (`TaskHeads.gates`); no columns without.
        `similarity`: the prompts' similarities to the bank, when the caller has them."""
        if self.task_heads is None:
            return np.zeros((len(vectors), 0))
        if similarity is not None:
            return self.task_heads.gates(similarity, self.bank_task, self.tasks)
        parts = [
            self.task_heads.gates(
                similarities(vectors[start : start + CHUNK], self.unit_bank),
                self.bank_task,
                self.tasks,
            )
            for start in range(0, len(vectors), CHUNK)
        ]
        return np.vstack(parts) if parts else np.zeros((0, len(self.task_heads.tasks)))

    def score_logits(
        self,
        vectors: Vectors,
        dense: FloatArray,
        prompts: Sequence[str] | None = None,
        gates: FloatArray | None = None,
    ) -> FloatArray:
        """The score before the sigmoid: `mix`, with the task heads' order where they act
        (`gates`: `task_gates(vectors)`, when the caller has them)."""
        mix = self.mix(vectors, dense, prompts)
        if self.task_heads is None:
            return mix
        gates = self.task_gates(vectors) if gates is None else gates
        return self.task_heads.adjust(mix, vectors, dense, gates)

    def probabilities(
        self,
        vectors: Vectors,
        dense: FloatArray,
        prompts: Sequence[str] | None = None,
        gates: FloatArray | None = None,
    ) -> FloatArray:
        """Scores in [0, 1]; `prompts` (their text) is needed when the file has a learned part."""
        z = (self.score_logits(vectors, dense, prompts, gates) - self.center) / self.spread
        return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)), dtype=float)

    def nearest(
        self, vector: Vectors, count: int = 3, similarity: npt.NDArray[np.float32] | None = None
    ) -> list[Neighbour]:
        """The `count` bank rows most similar to `vector` (`similarity`: its row of them)."""
        sims = (
            similarities(vector[None, :], self.unit_bank)[0] if similarity is None else similarity
        )
        count = min(count, len(sims))
        best = np.argpartition(-sims, count - 1)[:count]
        top = best[np.argsort(-sims[best])]
        return [
            Neighbour(self.tasks[int(self.bank_task[i])], float(sims[i]), int(self.bank_gain[i]))
            for i in top
        ]

    # --- file format -------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FILE_FORMAT,
            "embedder": self.embedder,
            "dimension": self.dimension,
            "family": self.family,
            "head_f32_zlib_b64": _pack(self.head.astype("<f4")),
            "bias": _stable(self.bias),
            "dense_columns": list(DENSE_COLUMNS),
            "dense_mean": [_stable(x) for x in self.dense_mean],
            "dense_scale": [_stable(x) for x in self.dense_scale],
            "bank_rows": len(self.bank),
            "bank_i8_zlib_b64": _pack(self.bank.astype(np.int8)),
            "bank_gain_i8_zlib_b64": _pack(self.bank_gain.astype(np.int8)),
            "bank_task_i16_zlib_b64": _pack(self.bank_task.astype("<i2")),
            "tasks": self.tasks,
            "k": self.k,
            "temperature": self.temperature,
            "length_weight": self.length_weight,
            "length_stats": [_stable(x) for x in self.length_stats],
            "linear_stats": [_stable(x) for x in self.linear_stats],
            "neighbour_stats": [_stable(x) for x in self.neighbour_stats],
            "center": _stable(self.center),
            "spread": _stable(self.spread),
            "learned": None if self.learned is None else self.learned.to_json(),
            "learned_weight": self.learned_weight,
            "learned_stats": [_stable(x) for x in self.learned_stats],
            "task_heads": None if self.task_heads is None else self.task_heads.to_json(),
            "meta": self.meta,
        }

    def save(self, path: str | Path) -> None:
        write_json_file(path, self.to_json(), what="router file", error=ModelFileError)

    def summary(self) -> str:
        fit = inner_cv_phrase(self.meta, self.meta.get("recipe", ""))
        return (
            f"embedding router ({self.embedder}, {self.family}): {len(self.bank)} bank rows, "
            f"recipe {self.meta.get('recipe', '?')} ({fit})"
        )

    @classmethod
    def load(cls, path: str | Path) -> EmbeddingRouterModel:
        file = Path(path)
        data = read_router_file(
            file,
            FILE_FORMAT,
            kind="an embedding router",
            train_hint="asymroute train --router embedding",
            error=ModelFileError,
        )
        try:
            dim, rows = int(data["dimension"]), int(data["bank_rows"])
            model = cls(
                embedder=str(data["embedder"]),
                dimension=dim,
                family=str(data["family"]),
                head=_unpack(data["head_f32_zlib_b64"], "<f4").astype(float),
                bias=float(data["bias"]),
                dense_mean=np.array(data["dense_mean"], dtype=float),
                dense_scale=np.array(data["dense_scale"], dtype=float),
                bank=_unpack(data["bank_i8_zlib_b64"], np.int8).reshape(rows, dim),
                bank_gain=_unpack(data["bank_gain_i8_zlib_b64"], np.int8),
                bank_task=_unpack(data["bank_task_i16_zlib_b64"], "<i2").astype(np.int16),
                tasks=[str(t) for t in data["tasks"]],
                k=int(data["k"]),
                temperature=float(data["temperature"]),
                length_weight=float(data["length_weight"]),
                length_stats=(float(data["length_stats"][0]), float(data["length_stats"][1])),
                linear_stats=(float(data["linear_stats"][0]), float(data["linear_stats"][1])),
                neighbour_stats=(
                    float(data["neighbour_stats"][0]),
                    float(data["neighbour_stats"][1]),
                ),
                center=float(data["center"]),
                spread=float(data["spread"]),
                meta=dict(data.get("meta") or {}),
                learned=(
                    LogisticModel.from_json(data["learned"], file) if data.get("learned") else None
                ),
                learned_weight=float(data.get("learned_weight", 0.0)),
                learned_stats=_pair(data.get("learned_stats", (0.0, 1.0))),
                task_heads=(
                    TaskHeads.from_json(data["task_heads"]) if data.get("task_heads") else None
                ),
            )
        except (KeyError, TypeError, ValueError, IndexError, zlib.error) as exc:
            raise ModelFileError(f"router file {file} is damaged: {exc}") from None
        _check(model, file, list(data.get("dense_columns") or []))
        return model


def _check(model: EmbeddingRouterModel, file: Path, columns: list[str]) -> None:
    problems = []
    if columns != list(DENSE_COLUMNS):
        problems.append("its dense features differ from this version's")
    if len(model.head) != model.dimension + len(DENSE_COLUMNS):
        problems.append("head size does not match its dimension")
    if not len(model.bank_gain) == len(model.bank_task) == len(model.bank):
        problems.append("bank arrays differ in length")
    if model.family not in FAMILIES or model.k < 1 or not model.temperature > 0:
        problems.append("bad family, k or temperature")
    if len(model.bank) and (model.bank_task.min() < 0 or model.bank_task.max() >= len(model.tasks)):
        problems.append("bank task index out of range")
    numbers = [
        model.bias,
        model.center,
        model.spread,
        model.length_weight,
        model.learned_weight,
        *model.learned_stats,
        *model.length_stats,
        *model.linear_stats,
        *model.neighbour_stats,
    ]
    if not (all(math.isfinite(x) for x in numbers) and np.all(np.isfinite(model.head))):
        problems.append("non-finite weights")
    scales = (
        model.spread,
        model.linear_stats[1],
        model.neighbour_stats[1],
        model.length_stats[1],
        model.learned_stats[1],
    )
    if not all(x > 0 for x in scales):
        problems.append("non-positive scale")
    if model.learned_weight and model.learned is None:
        problems.append("learned_weight without a learned part")
    if model.task_heads is not None:
        problems += model.task_heads.problems(model.dimension, len(DENSE_COLUMNS), model.tasks)
    if problems:
        raise ModelFileError(f"router file {file} is damaged: {'; '.join(problems)}")


def _pack(array: npt.NDArray[Any]) -> str:
    return base64.b64encode(zlib.compress(np.ascontiguousarray(array).tobytes(), 9)).decode()


def _unpack(text: str, dtype: Any) -> npt.NDArray[Any]:
    return np.frombuffer(zlib.decompress(base64.b64decode(text)), dtype=dtype).copy()


def _pair(values: Any) -> tuple[float, float]:
    first, second = values
    return float(first), float(second)


def _stable(x: float) -> float:
    return float(f"{float(x):.12g}")
