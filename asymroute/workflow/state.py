"""The workflow graph's state: the task, its steps, and one route record per routed call."""

from __future__ import annotations

from typing import Annotated, NotRequired

from typing_extensions import TypedDict

from asymroute.records import RouteRecord, UsageTotals, append_or_reset


class StepRecord(RouteRecord):
    kind: str
    """plan, step or synthesis."""
    index: int
    """1-based position of a step; 0 for the plan and the synthesis."""
    text: str
    """What was asked: the step, or the task for the plan and the synthesis."""


class WorkflowInput(TypedDict):
    task: str
    steps: NotRequired[list[str]]
    """The plan, if the caller has one; otherwise a model chosen by the router writes it."""
    max_steps: NotRequired[int]
    """Cap on the number of steps of a generated plan (default 5)."""


class WorkflowState(WorkflowInput, total=False):
    plan: StepRecord | None
    """How the plan was written; None when the caller gave the steps."""
    step_results: Annotated[list[StepRecord], append_or_reset]
    synthesis: StepRecord | None
    """How the results were combined; None for a one-step workflow."""
    answer: str | None
    totals: UsageTotals
    """This run: calls per tier, tokens and cost, plan and synthesis included."""
    prior_thread_cost_usd: float
    """Spend of earlier runs on this thread."""
    thread_cost_usd: float
    """Spend of every run on this thread, this one included."""
