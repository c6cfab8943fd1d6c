"""Multi-step workflows: plan, route every step on its own, synthesize.

Layer: node runtime (the workflow's state and edge function); imports `records` and `errors` only.
"""

from asymroute.workflow.state import StepRecord, WorkflowInput, WorkflowState
from asymroute.workflow.steps import (
    DEFAULT_MAX_STEPS,
    parse_plan,
    planner_messages,
    step_messages,
    synthesis_messages,
)

__all__ = [
    "DEFAULT_MAX_STEPS",
    "StepRecord",
    "WorkflowInput",
    "WorkflowState",
    "parse_plan",
    "planner_messages",
    "step_messages",
    "synthesis_messages",
]
