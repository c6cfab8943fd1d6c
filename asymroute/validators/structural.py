"""Structural checks: the call failed, or the answer is empty, a refusal, or cut off.

Cut off means stopped at the output cap (finish reason `length`). That is a defect only when
the cap is the router's own limit (`truncation_escalates`, the default): when the caller set it
(the gateway's `max_tokens`), the answer is what the caller asked for, and the frontier would
stop at the same cap, so escalating would only cost more.
"""

from __future__ import annotations

import re

from asymroute.validators.base import CandidateAnswer, Judgement, ValidationPolicy

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

    def __init__(self, policy: ValidationPolicy | None = None) -> None:
        self.truncation_escalates = policy.truncation_escalates if policy else True

    def check(self, answer: CandidateAnswer) -> Judgement:
        if answer.error is not None:
            return Judgement(False, (f"local call failed: {answer.error}",))
        reasons: list[str] = []
        calls_tools = bool(answer.tool_calls or answer.invalid_tool_calls)
        if not answer.text.strip() and not calls_tools:
            reasons.append("empty answer")
        elif calls_tools:
            pass  # a tool call is judged by the tool_calls validator
        # Chat models often write typographic apostrophes: "I’m sorry, I can’t".
        elif REFUSAL_OPENING.search(answer.text[:200].replace("\u2019", "'")):
            reasons.append("refusal: " + answer.text.strip().splitlines()[0][:80])
        capped = answer.finish_reason in TRUNCATED_FINISH_REASONS
        if capped and self.truncation_escalates:
            reasons.append(f"truncated answer (finish reason {answer.finish_reason!r})")
        if reasons:
            return Judgement(False, tuple(reasons))
        if capped:
            return Judgement(True, ("answer is non-empty and stopped at the caller's max_tokens",))
        if calls_tools:
            return Judgement(True, ("answer is a tool call",))
        return Judgement(True, ("answer is complete and non-empty",))
