"""confidence: the local model's own token log-probabilities, mean and minimum.

Low mean log-probability means the model was unsure of much of its answer; a very low minimum
means at least one token was a guess. Log-probs are requested from the local tier whenever this
validator is on (OpenAI-compatible servers and the embedded llama.cpp return them; Ollama
returns them from v0.12 on). When the provider returned none, the validator cannot measure and
says so in its reasons; `unmeasured_policy` decides whether that passes (abstains) or escalates
- it never passes as "confident".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from asymroute.validators.base import CandidateAnswer, Judgement, ValidationPolicy, unmeasured


def token_logprobs_of(response_metadata: Mapping[str, Any]) -> tuple[float, ...] | None:
    """Per-token log-probs from a reply's metadata, in OpenAI's or Ollama's shape; else None."""
    raw = response_metadata.get("logprobs")
    entries: Any = raw.get("content") if isinstance(raw, Mapping) else raw
    if not isinstance(entries, Sequence) or isinstance(entries, str) or not entries:
        return None
    values = []
    for entry in entries:
        value = entry.get("logprob") if isinstance(entry, Mapping) else None
        if not isinstance(value, int | float) or math.isnan(value):
            return None
        values.append(float(value))
    return tuple(values)


class ConfidenceValidator:
    name = "confidence"
    kind = "estimate"

    def __init__(self, policy: ValidationPolicy) -> None:
        self.policy = policy

    def check(self, answer: CandidateAnswer) -> Judgement:
        logprobs = answer.token_logprobs
        if answer.error is not None or not answer.text.strip():
            return Judgement(False, ("no answer to measure",), 0.0)
        if not logprobs:
            return unmeasured(self.policy, "the local provider returned no token log-probs")
        mean = sum(logprobs) / len(logprobs)
        lowest = min(logprobs)
        # exp(mean log-prob): the geometric-mean probability of the answer's tokens.
        confidence = math.exp(mean)
        stats = f"mean token log-prob {mean:.3f}, min {lowest:.3f} over {len(logprobs)} tokens"
        failures = []
        if mean < self.policy.confidence_min_mean_logprob:
            failures.append(f"{stats}: mean below {self.policy.confidence_min_mean_logprob}")
        floor = self.policy.confidence_min_token_logprob
        if floor is not None and lowest < floor:
            failures.append(f"{stats}: a token below {floor}")
        if failures:
            return Judgement(False, tuple(failures), confidence)
        return Judgement(True, (stats,), confidence)
