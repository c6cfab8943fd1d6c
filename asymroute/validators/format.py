"""format: when the request asks for JSON (or a JSON schema), the answer must be that.

The request's format comes from the run's `response_format` (OpenAI's shape, as the gateway
passes it on: `{"type": "json_object"}` or `{"type": "json_schema", "json_schema": {"schema":
{...}}}`). Without one, the validator passes at once. A failing answer gets one local retry:
the model sees its reply and the error and is asked for corrected JSON only; a retry that
passes replaces the answer (recorded in usage), one that fails escalates with both errors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage

from asymroute.effects import CallTier
from asymroute.json_mode import expected_schema, unfenced
from asymroute.validators.base import (
    CandidateAnswer,
    Judgement,
    ValidationPolicy,
    ValidatorSteps,
)
from asymroute.validators.json_schema import schema_errors
from asymroute.validators.replies import reply_answer

MAX_ERRORS_SHOWN = 3

__all__ = ["FormatValidator", "expected_schema", "json_errors"]


def json_errors(text: str, schema: Mapping[str, Any]) -> list[str]:
    """A fenced answer is judged by its JSON: the fence is removed before it is returned."""
    try:
        value = json.loads(unfenced(text))
    except json.JSONDecodeError as exc:
        return [f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"]
    return schema_errors(value, schema)


class FormatValidator:
    name = "format"
    kind = "check"

    def __init__(self, policy: ValidationPolicy) -> None:
        self.policy = policy
        self.expects_json, self.schema = expected_schema(policy.response_format)

    def check(self, answer: CandidateAnswer) -> Judgement:
        if not self.expects_json:
            return Judgement(True, ("no structured format requested",), 1.0)
        errors = json_errors(answer.text, self.schema)
        if not errors:
            what = "JSON matching the schema" if self.schema else "valid JSON"
            return Judgement(True, (f"answer is {what}",), 1.0)
        return Judgement(False, (_summary(errors),), 0.0)

    def steps(self, answer: CandidateAnswer) -> ValidatorSteps:
        first = self.check(answer)
        if first.passed or not self.policy.format_retry or answer.error is not None:
            return first
        if not answer.messages:
            return first
        retry = [
            *answer.messages,
            AIMessage(answer.text),
            HumanMessage(
                f"Your reply is {first.reasons[0]}. Reply again with only the corrected "
                + ("JSON matching the requested schema" if self.schema else "JSON")
                + ", with no other text."
            ),
        ]
        reply = reply_answer(answer, (yield CallTier("local", retry)), retry)
        if reply.error is not None:
            return Judgement(False, (first.reasons[0], f"retry failed: {reply.error}"), 0.0)
        second = self.check(reply)
        if second.passed:
            fixed = f"first reply {first.reasons[0]}; the retry fixed it"
            return Judgement(True, (fixed,), 1.0, revised=reply)
        return Judgement(False, (first.reasons[0], f"after one retry: {second.reasons[0]}"), 0.0)


def _summary(errors: list[str]) -> str:
    shown = "; ".join(errors[:MAX_ERRORS_SHOWN])
    more = len(errors) - MAX_ERRORS_SHOWN
    return shown + (f" (and {more} more)" if more > 0 else "")
