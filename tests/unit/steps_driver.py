"""Drive `Steps` (a validator's, a node's) with scripted model replies, through the one driver."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from asymroute.effects import CallTier, ModelCall, drive
from asymroute.records import UsageRecord


def scripted_call(text: str, error: str | None = None) -> ModelCall:
    """The local model's reply as the driver hands it over: the answer, or (error) none."""
    message = (
        None if error is not None else AIMessage(text, response_metadata={"finish_reason": "stop"})
    )
    usage = UsageRecord(
        model="scripted",
        tier="local",
        input_tokens=0,
        output_tokens=0,
        latency_s=0.0,
        cost_usd=0.0,
        priced=True,
        error=error,
    )
    return ModelCall(message, usage)


def drive_scripted(
    steps: Any, replies: Iterable[ModelCall]
) -> tuple[Any, list[Sequence[BaseMessage]]]:
    """(the result, the messages of each local call it made); each reply answers one call."""
    pending = iter(replies)
    sent: list[Sequence[BaseMessage]] = []

    def handle(effect: CallTier) -> ModelCall:
        assert effect.tier == "local", "validators call the local model only"
        sent.append(effect.messages)
        return next(pending)

    return drive(steps, handle), sent


def no_calls(effect: CallTier) -> ModelCall:
    """The handler for steps that must finish without calling a model."""
    raise AssertionError(f"no call expected, got one to the {effect.tier} tier")
