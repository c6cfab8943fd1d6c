"""Write a node's logic once, run it with blocking or async model calls.

A node body is a generator: it yields `CallTier` requests and receives each call's
`ModelCall`; its return value is the state update. `run_steps` drives it with `call_tier`
(for `graph.invoke`), `arun_steps` with `acall_tier` (for `graph.ainvoke`/`astream`, where a
blocking call would stall every other request on the event loop).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import BaseMessage

from asymroute.model_calls import ModelCall, acall_tier, call_tier
from asymroute.planning import RouterSetup, RunPlan
from asymroute.records import Tier


@dataclass(frozen=True)
class CallTier:
    """A request, from a node body, to call one tier's model with these messages."""

    tier: Tier
    messages: Sequence[BaseMessage]


NodeSteps = Generator[CallTier, ModelCall, dict[str, Any]]
NodeBody = Callable[[Any, RunPlan], NodeSteps]
"""(state, plan) -> steps; the state is the graph's state mapping."""


def run_steps(steps: NodeSteps, plan: RunPlan, setup: RouterSetup) -> dict[str, Any]:
    try:
        request = next(steps)
        while True:
            request = steps.send(call_tier(plan, request.tier, request.messages, setup))
    except StopIteration as done:
        return dict(done.value)


async def arun_steps(steps: NodeSteps, plan: RunPlan, setup: RouterSetup) -> dict[str, Any]:
    try:
        request = next(steps)
        while True:
            call = await acall_tier(plan, request.tier, request.messages, setup)
            request = steps.send(call)
    except StopIteration as done:
        return dict(done.value)
