"""Structural checks: the call failed, or the answer is empty, a refusal, or cut off."""

from __future__ import annotations

import re

from asymroute.validators.base import CandidateAnswer, Judgement

# Refusals open the answer; the same words later on are usually part of a real answer.
REFUSAL_OPENING = re.compile(
    r"^\W*(i\s*(?:am|'m)\s+(?:sorry|unable|not able)|i\s*(?:can(?:'|no)?t|cannot|won'?t)\b|"
    r"as an ai\b|i\s+do(?:n'?t| not)\s+(?:know|have (?:access|enough))|"
    r"unfortunately,? i\b|sorry,? (?:but )?i\b)",
    re.IGNORECASE,
)
TRUNCATED_FINISH_REASONS = frozenset({"length", "max_tokens"})


class StructuralValidator:
    name = "structural"

    def check(self, answer: CandidateAnswer) -> Judgement:
        if answer.error is not None:
            return Judgement(False, (f"local call failed: {answer.error}",))
        reasons: list[str] = []
        if not answer.text.strip():
            reasons.append("empty answer")
        # Chat models often write typographic apostrophes: "I’m sorry, I can’t".
        elif REFUSAL_OPENING.search(answer.text[:200].replace("\u2019", "'")):
            reasons.append("refusal: " + answer.text.strip().splitlines()[0][:80])
        if answer.finish_reason in TRUNCATED_FINISH_REASONS:
            reasons.append(f"truncated answer (finish reason {answer.finish_reason!r})")
        if reasons:
            return Judgement(False, tuple(reasons))
        return Judgement(True, ("answer is complete and non-empty",))
