"""Trainers by target name, for `asymroute train --target NAME`.

A trainer turns labeled data (`asymroute.evaluation.datasets.LabeledData`) into a model that
can be saved as one file:

    def train_something(data: LabeledData, options: TrainOptions) -> TrainedModel: ...

Register one by adding ONE line to `TRAINERS` below: `"<target>": "<module>:<function>"`.
Modules are imported only when their target is chosen, so a trainer's dependencies cost nothing
to the others. `prompt` (the learned prompt classifier, the default) lives in
`asymroute.learning.prompt_trainer`; an answer-quality scorer can register `answer` from its
own module the same way.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from asymroute.errors import ConfigurationError

if TYPE_CHECKING:
    from asymroute.evaluation.datasets import LabeledData

TRAINERS: dict[str, str] = {
    "prompt": "asymroute.learning.prompt_trainer:train_prompt_router",
    "answer": "asymroute.learning.answer_trainer:train_answer_scorer",
    "embedding": "asymroute.learning.embedding_trainer:train_embedding_router",
}


@dataclass(frozen=True)
class TrainOptions:
    """Knobs every trainer accepts; a trainer ignores those that mean nothing to it."""

    seed: int = 0
    l2: float | None = None
    """Regularisation strength; None lets the trainer choose (by cross-validation)."""
    show_progress: bool = True
    recipe: str | None = None
    """A fixed recipe (e.g. `dense/gain/l2=0.01`) instead of choosing one by cross-validation."""
    embedder: str | None = None
    """Embedder name for the `embedding` target (`asymroute.embedders`); None: the default."""


class TrainedModel(Protocol):
    def save(self, path: str | Path) -> None:
        """Write the model as one file that the matching classifier loads."""
        ...

    def summary(self) -> str:
        """One line describing what was trained (rows, features, training fit)."""
        ...


Trainer = Callable[["LabeledData", TrainOptions], TrainedModel]


def get_trainer(target: str) -> Trainer:
    try:
        spec = TRAINERS[target]
    except (KeyError, TypeError):
        raise ConfigurationError(
            f"unknown training target {target!r}; choose one of: {', '.join(sorted(TRAINERS))}"
        ) from None
    module_name, _, function = spec.partition(":")
    trainer: Trainer = getattr(importlib.import_module(module_name), function)
    return trainer
