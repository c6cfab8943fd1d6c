"""Run a policy's validators on one answer and combine their judgements into a verdict.

`validation_steps` is `Steps` like the validators' own `steps` (`asymroute.effects`): it passes
on each local call a validator yields, so the `validate` node runs it with real calls and tests
with scripted ones. With `calls=False` (offline replay) every validator is
judged by `check` alone. Validators run in the order given and stop at the first failure, since
a later one cannot rescue the answer (put cheap checks before self-verification).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from asymroute.effects import Steps
from asymroute.records import ValidationVerdict
from asymroute.validators.base import (
    CallingValidator,
    CandidateAnswer,
    Judgement,
    ValidationPolicy,
    Validator,
    kind_of,
)


@dataclass(frozen=True)
class ValidationOutcome:
    verdict: ValidationVerdict
    answer: CandidateAnswer
    """The answer that was judged last: the original, or a validator's accepted revision."""
    judgements: tuple[tuple[str, Judgement], ...]


ValidationSteps = Steps[ValidationOutcome]


def validation_steps(
    candidate: CandidateAnswer,
    validators: Sequence[Validator],
    policy: ValidationPolicy,
    enabled: bool,
    *,
    calls: bool = True,
) -> ValidationSteps:
    """A failed call never passes, even with validation off."""
    if not enabled and candidate.error is None:
        verdict = ValidationVerdict(
            passed=True, reasons=["validation disabled"], validators=[], skipped=True
        )
        return ValidationOutcome(verdict, candidate, ())
    answer = candidate
    judged: list[tuple[str, Judgement]] = []
    for validator in validators:
        if calls and isinstance(validator, CallingValidator):
            judgement = yield from validator.steps(answer)
        else:
            judgement = validator.check(answer)
        judged.append((validator.name, judgement))
        if judgement.revised is not None:
            answer = judgement.revised
        if not judgement.passed and (
            policy.validation_combine == "all" or kind_of(validator) == "check"
        ):
            break
        if candidate.error is not None:
            break
    verdict = combine(candidate, validators, judged, policy)
    return ValidationOutcome(verdict, answer, tuple(judged))


def combine(
    candidate: CandidateAnswer,
    validators: Sequence[Validator],
    judged: Sequence[tuple[str, Judgement]],
    policy: ValidationPolicy,
) -> ValidationVerdict:
    kinds = {v.name: kind_of(v) for v in validators}
    estimates = [
        j.confidence for name, j in judged if kinds[name] == "estimate" and j.confidence is not None
    ]
    confidence = sum(estimates) / len(estimates) if estimates else None
    if policy.validation_combine == "mean":
        failed = [name for name, j in judged if kinds[name] == "check" and not j.passed]
        if confidence is not None and confidence < policy.min_confidence:
            failed += [name for name, j in judged if kinds[name] == "estimate"]
    else:
        failed = [name for name, j in judged if not j.passed]
    failures = [f"{name}: {reason}" for name, j in judged if name in failed for reason in j.reasons]
    if (
        policy.validation_combine == "mean"
        and confidence is not None
        and confidence < policy.min_confidence
    ):
        failures.append(f"mean confidence {confidence:.3f} below {policy.min_confidence}")
    if candidate.error is not None and not failures:
        failures.append(f"local call failed: {candidate.error}")
        failed.append("structural")
    passes = [f"{name}: {reason}" for name, j in judged for reason in j.reasons]
    return ValidationVerdict(
        passed=not failures,
        reasons=failures or passes,
        validators=[v.name for v in validators],
        skipped=False,
        confidence=None if confidence is None else round(confidence, 4),
        failed=sorted(set(failed)),
        judgements={
            name: {"passed": j.passed, "confidence": j.confidence, "reasons": list(j.reasons)}
            for name, j in judged
        },
    )
