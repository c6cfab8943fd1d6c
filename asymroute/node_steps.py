"""Write a node's logic once, run it with blocking or async model calls.

A node body is `Steps` (`asymroute.effects`): it yields `CallTier` requests and receives each
call's `ModelCall`; its return value is the state update. `run_steps` drives it with
`call_tier` (for `graph.invoke`), `arun_steps` with `acall_tier` (for `graph.ainvoke`/`astream`,
where a blocking call would stall every other request on the event loop).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asymroute.effects import CallTier, ModelCall, Steps, adrive, drive
from asymroute.model_calls import acall_tier, call_tier
from asymroute.planning import RouterSetup, RunPlan

__all__ = ["NodeBody", "NodeSteps", "arun_steps", "run_steps"]

NodeSteps = Steps[dict[str, Any]]
NodeBody = Callable[[Any, RunPlan], NodeSteps]
"""(state, plan) -> steps; the state is the graph's state mapping."""


def run_steps(steps: NodeSteps, plan: RunPlan, setup: RouterSetup) -> dict[str, Any]:
    def handle(effect: CallTier) -> ModelCall:
        return call_tier(plan, effect.tier, effect.messages, setup)

    return dict(drive(steps, handle))


async def arun_steps(steps: NodeSteps, plan: RunPlan, setup: RouterSetup) -> dict[str, Any]:
    async def ahandle(effect: CallTier) -> ModelCall:
        return await acall_tier(plan, effect.tier, effect.messages, setup)

    return dict(await adrive(steps, ahandle))
