"""The classifier extension point: a prompt in, a complexity score in [0, 1] out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ComplexityScore:
    """How hard the prompt looks (0 simple, 1 complex) and what made it so."""

    score: float
    reasons: tuple[str, ...]

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"complexity score must be within [0, 1], got {self.score}")


class Classifier(Protocol):
    """Optional hook, looked up by name: `warm_up()` loads weights ahead of the first `score`
    (called when a run is planned, off the event loop)."""

    name: str

    def score(self, prompt: str) -> ComplexityScore: ...
