"""Validators by name; add one by writing a file and registering its factory here."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from asymroute.errors import ConfigurationError
from asymroute.validators.base import CandidateAnswer, Judgement, Validator
from asymroute.validators.structural import StructuralValidator

VALIDATORS: dict[str, Callable[[], Validator]] = {
    "structural": StructuralValidator,
}


def get_validators(names: Sequence[str]) -> list[Validator]:
    if isinstance(names, str) or not names:
        raise ConfigurationError(
            f"validators must be a non-empty list of names from: {', '.join(sorted(VALIDATORS))}"
        )
    unknown = [name for name in names if name not in VALIDATORS]
    if unknown:
        raise ConfigurationError(
            f"unknown validator(s) {', '.join(map(repr, unknown))}; "
            f"choose from: {', '.join(sorted(VALIDATORS))}"
        )
    return [VALIDATORS[name]() for name in names]


__all__ = ["VALIDATORS", "CandidateAnswer", "Judgement", "Validator", "get_validators"]
