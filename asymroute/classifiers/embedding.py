"""`embedding`: routes on what a prompt is about, from a sentence embedding (the default
classifier; docs/routing.md).

The shipped file `weights/embedding_default.json` was trained by `bench/train_embedding_default.py`
on five tasks (RouteLLM's MMLU + GSM8K with Mixtral-8x7B / GPT-4-1106, RouterBench's ARC,
MBPP, WinoGrande with mistral-7b-chat / gpt-4-1106-preview) plus the hand-written anchors and
the written conversations (`asymroute.learning.written_conversations`); its
`meta` holds the recipe, the inner-CV figures and the training command. `embedding:PATH` uses a
file written by `asymroute train --router embedding -o PATH`.

The embedder named in the file (`minilm` by default; `asymroute.embedders`) is built when the
classifier is, so a missing package, a bad path or a vector size that differs from the file's
fails at build time with `ConfigurationError`; the weights themselves load when a run is
planned (`warm_up`, in a worker thread under an event loop), not at import. The prompt's
last 256 word pieces are embedded (see `asymroute.embedders.minilm`): shared instructions and
few-shot prefixes come first, the part that varies comes last.

Reasons name the family's score and the nearest labelled prompts of the bank: their task,
cosine similarity and whether the strong model gained there (`+`), lost (`-`) or tied (`=`);
and any task head that acted on the prompt, with its gate (`asymroute.classifiers.task_heads`).
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from asymroute.classifiers.base import ComplexityScore
from asymroute.classifiers.embedding_model import (
    EmbeddingRouterModel,
    dense_row,
    dense_rows,
    similarities,
)
from asymroute.embedders import Embeddings, embedding_dimension, get_embedder
from asymroute.errors import ConfigurationError

DEFAULT_MODEL = Path(__file__).resolve().parent / "weights" / "embedding_default.json"
NEIGHBOURS_SHOWN = 3
SCORES_KEPT = 4096
"""Scores a classifier remembers, keyed by a digest of the prompt: a conversation re-scores its
earlier user turns on every request (the follow-up policy reads up to 20 of them) and an agent
loop re-scores the user turn it serves at every step, each an embedding of 4-70 ms."""
GAIN_MARK = {1: "+", 0: "=", -1: "-"}


@functools.lru_cache(maxsize=16)
def _load_cached(path: str, mtime_ns: int, size: int) -> EmbeddingRouterModel:
    return EmbeddingRouterModel.load(path)


def load_model(path: str | Path) -> EmbeddingRouterModel:
    """The model in `path`, reloaded only when the file changes."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise ConfigurationError(
            f"router file {file} does not exist; train one with `asymroute train DATA --weak COL "
            "--strong COL --router embedding -o FILE`"
        )
    stat = file.resolve().stat()
    return _load_cached(str(file.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def shared_embedder(name: str, setting: str) -> Embeddings:
    """One embedder per name in the process, so its weights load once for every classifier."""
    return get_embedder(name, setting=setting)


class EmbeddingClassifier:
    """Scores with an embedding router file; `model_file` None means the shipped default."""

    def __init__(
        self,
        model_file: str | Path | EmbeddingRouterModel | None = None,
        embedder: str | None = None,
    ) -> None:
        """`model_file` may also be a model in memory (a freshly trained one, in benchmarks)."""
        self.name = "embedding" if model_file is None else f"embedding:{model_file}"
        source = model_file if model_file is not None else DEFAULT_MODEL
        if isinstance(source, EmbeddingRouterModel):
            self.name, self.model, source = "embedding", source, "(in memory)"
        else:
            self.model = load_model(source)
        self.embedder_name = embedder or self.model.embedder
        self._scores: OrderedDict[bytes, ComplexityScore] = OrderedDict()
        self._scores_lock = threading.Lock()
        setting = "--embedder" if embedder else f"router file {source} (its embedder)"
        self.embedder = shared_embedder(self.embedder_name, setting)
        declared = embedding_dimension(self.embedder)
        if declared is not None and declared != self.model.dimension:
            raise ConfigurationError(
                f"embedder {self.embedder_name!r} gives {declared}-dimensional vectors but router "
                f"file {source} was trained on {self.model.dimension} ({self.model.embedder!r}); "
                f"use --embedder {self.model.embedder} or retrain with `asymroute train "
                f"--router embedding --embedder {self.embedder_name}`"
            )

    def warm_up(self) -> None:
        """Load the embedder's weights now (blocking; plans are built in a worker thread), or
        start loading them (`load_soon`: `minilm` converts its weights in the background on
        their first load on a machine), so a first `score` reads no file."""
        load = getattr(self.embedder, "load_soon", None) or getattr(self.embedder, "load", None)
        if load is not None:
            load()

    def vectors(self, prompts: Sequence[str], advance: object = None) -> npt.NDArray[np.float32]:
        fast = getattr(self.embedder, "embed_matrix", None)
        if fast is not None:
            matrix = np.asarray(fast(list(prompts), advance), dtype=np.float32)
        else:
            matrix = np.asarray(self.embedder.embed_documents(list(prompts)), dtype=np.float32)
            matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
        if matrix.ndim != 2 or matrix.shape[1] != self.model.dimension:
            raise ConfigurationError(
                f"embedder {self.embedder_name!r} returned vectors of shape {matrix.shape}, but "
                f"the router file expects {self.model.dimension}; retrain it with this embedder"
            )
        return matrix

    def forget_scores(self) -> None:
        """Drop the kept scores (benchmarks time every prompt as a new one)."""
        with self._scores_lock:
            self._scores.clear()

    def score(self, prompt: str) -> ComplexityScore:
        key = hashlib.blake2b(prompt.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        with self._scores_lock:
            kept = self._scores.get(key)
            if kept is not None:
                self._scores.move_to_end(key)
                return kept
        scored = self._score(prompt)
        with self._scores_lock:
            self._scores[key] = scored
            if len(self._scores) > SCORES_KEPT:
                self._scores.popitem(last=False)
        return scored

    def _score(self, prompt: str) -> ComplexityScore:
        vector = self.vectors([prompt])
        # one pass over the bank serves the task heads' gates and the reasons' neighbours
        similarity = similarities(vector, self.model.unit_bank)
        gates = self.model.task_gates(vector, similarity)
        probability = float(
            self.model.probabilities(vector, dense_row(prompt)[None, :], [prompt], gates)[0]
        )
        reasons = [f"embedding router ({self.model.family}) score {probability:.3f}"]
        near = self.model.nearest(vector[0], NEIGHBOURS_SHOWN, similarity[0])
        reasons.append(
            "nearest labelled prompts: "
            + ", ".join(f"{n.task} {n.similarity:.2f}{GAIN_MARK[n.gain]}" for n in near)
        )
        if self.model.task_heads is not None:
            reasons.extend(
                f"task head {task} weighed in (gate {gate:.2f})"
                for task, gate in zip(self.model.task_heads.tasks, gates[0], strict=True)
                if gate > 0
            )
        return ComplexityScore(min(max(round(probability, 4), 0.0), 1.0), tuple(reasons))

    def score_many(self, prompts: Sequence[str], advance: object = None) -> npt.NDArray[np.float64]:
        """Scores of many prompts, embedded in batches (for evaluation and calibration)."""
        vectors = self.vectors(prompts, advance)
        return self.model.probabilities(vectors, dense_rows(list(prompts)), list(prompts))
