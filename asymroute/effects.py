"""The one effect protocol: logic that calls a model is a generator, run by a driver.

Node bodies (`node_steps`), validators (`validators.base.ValidatorSteps`) and the cascade
replay all write their logic as a generator that yields a `CallTier` ("call this tier's model
with these messages") and receives the `ModelCall` it produced; the generator's return value is
its result. The logic never calls a model itself, so one body runs:

- blocking, with `drive(steps, handle)` (`graph.invoke`, the offline replay, tests);
- on an event loop, with `adrive(steps, ahandle)` (`graph.ainvoke`/`astream`, where a blocking
  call would stall every other request);
- inside another generator, with `yield from steps` (a node running its validators), or with
  `yield from tap(steps, seen)` when the outer one needs each reply too (their usage).

This module is the only place that steps a generator by hand (and handles its
`StopIteration`); everything else uses `drive`, `adrive`, `tap` or `yield from`.
It imports only messages and records: validators and nodes both build on it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

from langchain_core.messages import AIMessage, BaseMessage

from asymroute.records import Tier, UsageRecord

EffectT = TypeVar("EffectT")
ReplyT = TypeVar("ReplyT")
ResultT = TypeVar("ResultT")


@dataclass(frozen=True)
class CallTier:
    """The effect: call one tier's model with these messages (answered by a `ModelCall`)."""

    tier: Tier
    messages: Sequence[BaseMessage]


@dataclass(frozen=True)
class ModelCall:
    """The reply to a `CallTier`: the answer (None when the call failed) and its accounting."""

    message: AIMessage | None
    usage: UsageRecord

    @property
    def error(self) -> str | None:
        return self.usage["error"]

    @property
    def finish_reason(self) -> str | None:
        return finish_reason(self.message)


def finish_reason(message: AIMessage | None) -> str | None:
    if message is None:
        return None
    meta = message.response_metadata
    # OpenAI-compatible servers say finish_reason, Ollama says done_reason.
    reason = meta.get("finish_reason") or meta.get("done_reason")
    return str(reason) if reason else None


Steps: TypeAlias = Generator[CallTier, ModelCall, ResultT]
"""Logic with model calls: yields each call it wants, receives its reply, returns a result."""


def drive(
    steps: Generator[EffectT, ReplyT, ResultT], handle: Callable[[EffectT], ReplyT]
) -> ResultT:
    """Run `steps` to its result, answering each effect with `handle(effect)`."""
    finished, value = _resume(steps, None)
    while not finished:
        finished, value = _resume(steps, handle(value))
    return value


async def adrive(
    steps: Generator[EffectT, ReplyT, ResultT], ahandle: Callable[[EffectT], Awaitable[ReplyT]]
) -> ResultT:
    """`drive` with an async handler: each effect is awaited, never blocking the loop."""
    finished, value = _resume(steps, None)
    while not finished:
        finished, value = _resume(steps, await ahandle(value))
    return value


def tap(
    steps: Generator[EffectT, ReplyT, ResultT], seen: list[ReplyT]
) -> Generator[EffectT, ReplyT, ResultT]:
    """`steps` unchanged (use with `yield from`), appending every reply it receives to `seen`."""
    finished, value = _resume(steps, None)
    while not finished:
        reply = yield value
        seen.append(reply)
        finished, value = _resume(steps, reply)
    return value


def _resume(steps: Generator[Any, Any, Any], reply: Any) -> tuple[bool, Any]:
    """(False, the next effect) or (True, the result); `reply` None starts the generator."""
    try:
        return False, steps.send(reply)
    except StopIteration as done:
        return True, done.value
