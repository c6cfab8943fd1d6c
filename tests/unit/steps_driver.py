"""Drive a validator's `steps` generator with scripted replies, as the `validate` node does."""

from __future__ import annotations

from typing import Any

from asymroute.validators.base import CandidateAnswer


def drive(steps: Any, replies: list[CandidateAnswer]) -> tuple[Any, list[Any]]:
    """(the judgement it returns, the requests it yielded); each reply answers one request."""
    sent: list[Any] = []
    try:
        request = next(steps)
        while True:
            sent.append(request)
            request = steps.send(replies.pop(0))
    except StopIteration as done:
        return done.value, sent
