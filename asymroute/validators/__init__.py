"""Validators by name; add one by writing a file and registering its factory here.

A factory takes the run's `ValidationPolicy` (thresholds from the context).

Layer: validators import only the floor (`effects`, `records`, `requests`, `errors`,
`json_mode`, `json_files`, `tool_calls`) and each other; never `learning`, `planning`,
`model_calls` or the node runtime. A validator that calls a model yields `effects.CallTier`
and whoever runs it makes the call. The learned answer scorer's runtime model lives here
(`answer_scorer`, `answer_features`, `answer_fit`); its training is `learning.answer_trainer`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from asymroute.errors import ConfigurationError
from asymroute.validators.base import (
    CallingValidator,
    CandidateAnswer,
    Judgement,
    ValidationPolicy,
    Validator,
)
from asymroute.validators.confidence import ConfidenceValidator
from asymroute.validators.consistency import ConsistencyValidator
from asymroute.validators.format import FormatValidator
from asymroute.validators.grounding import GroundingValidator
from asymroute.validators.scorer import ScorerValidator
from asymroute.validators.self_verify import SelfVerifyValidator
from asymroute.validators.structural import StructuralValidator
from asymroute.validators.tool_calls import ToolCallValidator

VALIDATORS: dict[str, Callable[[ValidationPolicy], Validator]] = {
    "structural": StructuralValidator,
    "format": FormatValidator,
    "confidence": ConfidenceValidator,
    "self_verify": SelfVerifyValidator,
    "consistency": ConsistencyValidator,
    "scorer": ScorerValidator,
    "tool_calls": ToolCallValidator,
    "grounding": GroundingValidator,
}


def get_validators(names: Sequence[str], policy: ValidationPolicy | None = None) -> list[Validator]:
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
    policy = policy if policy is not None else ValidationPolicy()
    return [VALIDATORS[name](policy) for name in names]


__all__ = [
    "VALIDATORS",
    "CallingValidator",
    "CandidateAnswer",
    "Judgement",
    "ValidationPolicy",
    "Validator",
    "get_validators",
]
