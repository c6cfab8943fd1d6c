"""The validator extension point: judge a local answer before it reaches the caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class CandidateAnswer:
    """A local tier's attempt at a request, as the validators see it."""

    prompt: str
    text: str
    finish_reason: str | None
    error: str | None = None


@dataclass(frozen=True)
class Judgement:
    passed: bool
    reasons: tuple[str, ...]


class Validator(Protocol):
    name: str

    def check(self, answer: CandidateAnswer) -> Judgement: ...
