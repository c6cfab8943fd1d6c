"""A model reply as the validators see it: a `CandidateAnswer`.

The `validate` node turns the local answer into one (`candidate_from`); a validator that calls
the local model turns each `ModelCall` it receives into one (`reply_answer`), so a format
retry's reply can be judged, and accepted, like the first answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from asymroute.effects import ModelCall, finish_reason
from asymroute.requests import content_text
from asymroute.validators.base import CandidateAnswer
from asymroute.validators.confidence import token_logprobs_of


def candidate_from(
    message: AIMessage | None, prompt: str, error: str | None, messages: Sequence[Any]
) -> CandidateAnswer:
    return CandidateAnswer(
        prompt=prompt,
        text=content_text(message) if message is not None else "",
        finish_reason=finish_reason(message),
        error=error,
        token_logprobs=token_logprobs_of(message.response_metadata) if message else None,
        messages=tuple(messages),
        message=message,
    )


def reply_text(call: ModelCall) -> str:
    return content_text(call.message) if call.message is not None else ""


def reply_answer(
    answer: CandidateAnswer, call: ModelCall, messages: Sequence[BaseMessage]
) -> CandidateAnswer:
    """The reply to `messages`, sent while judging `answer` (same prompt)."""
    return candidate_from(call.message, answer.prompt, call.error, messages)
