"""Pure workflow rules: the prompts for plan, step and synthesis, and reading a plan back.

Each request's *user* message is what the router scores: the task for the plan and the
synthesis (they are as demanding as the task), the step itself for a step. Earlier results
and instructions travel in the system message, so they inform the answer without tilting
the routing of an easy step towards the frontier.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from asymroute.errors import InvalidRequestError
from asymroute.records import UsageTotals, add_usage
from asymroute.workflow.state import StepRecord

DEFAULT_MAX_STEPS = 5
MAX_STEPS_LIMIT = 20
RESULT_CHARS = 600
"""Each earlier result is cut to this many characters in a later step's context."""
STEP_CHARS = 500
LIST_ITEM = re.compile(r"^\s*(?:\d+\s*[.):]|[-*•]|step\s+\d+\s*[.):])\s*(.+?)\s*$", re.I)


def check_workflow_input(state: Mapping[str, Any]) -> tuple[str, list[str] | None, int]:
    """The task, the caller's steps (or None) and the step cap; raises on bad input."""
    task = state.get("task")
    if not isinstance(task, str) or not task.strip():
        raise InvalidRequestError("the workflow needs a non-empty `task` string")
    max_steps = state.get("max_steps", DEFAULT_MAX_STEPS)
    if isinstance(max_steps, bool) or not isinstance(max_steps, int):
        raise InvalidRequestError(f"max_steps must be an integer, got {max_steps!r}")
    if not 1 <= max_steps <= MAX_STEPS_LIMIT:
        raise InvalidRequestError(f"max_steps must be within [1, {MAX_STEPS_LIMIT}]")
    steps = state.get("steps")
    if steps is None:
        return task, None, max_steps
    if not isinstance(steps, list) or not steps:
        raise InvalidRequestError("steps must be a non-empty list of strings, or left out")
    for number, step in enumerate(steps, 1):
        if not isinstance(step, str) or not step.strip():
            raise InvalidRequestError(f"step {number} must be a non-empty string")
    if len(steps) > MAX_STEPS_LIMIT:
        raise InvalidRequestError(f"at most {MAX_STEPS_LIMIT} steps, got {len(steps)}")
    return task, [step.strip() for step in steps], max_steps


def planner_messages(task: str, max_steps: int) -> list[BaseMessage]:
    return [
        SystemMessage(
            f"Split the user's task into at most {max_steps} short steps. Reply with a "
            "numbered list, one step per line, and nothing else."
        ),
        HumanMessage(task),
    ]


def parse_plan(text: str, task: str, max_steps: int) -> list[str]:
    """Numbered or bulleted lines; else non-empty lines; else the task as its only step."""
    lines = [line for line in text.splitlines() if line.strip()]
    items = [m.group(1) for line in lines if (m := LIST_ITEM.match(line)) and m.group(1)]
    steps = items or [line.strip() for line in lines]
    steps = [step[:STEP_CHARS] for step in steps if step.strip()][:max_steps]
    return steps or [task]


def _results_block(results: Sequence[StepRecord]) -> str:
    return "\n".join(
        f"{r['index']}. {r['text']}\n   Result: {r['answer'][:RESULT_CHARS]}" for r in results
    )


def step_messages(task: str, step: str, earlier: Sequence[StepRecord]) -> list[BaseMessage]:
    context = f"You are doing one step of a larger task.\nTask: {task}"
    if earlier:
        context += f"\nResults of the earlier steps:\n{_results_block(earlier)}"
    return [SystemMessage(context), HumanMessage(step)]


def synthesis_messages(task: str, results: Sequence[StepRecord]) -> list[BaseMessage]:
    return [
        SystemMessage(
            "Combine these step results into one final answer to the user's task.\n"
            f"{_results_block(results)}"
        ),
        HumanMessage(task),
    ]


def run_records(state: Mapping[str, Any]) -> list[StepRecord]:
    """Every routed call of this run so far: plan, steps, synthesis."""
    records = [state.get("plan"), *(state.get("step_results") or []), state.get("synthesis")]
    return [record for record in records if record is not None]


def run_totals(records: Sequence[StepRecord]) -> UsageTotals:
    return add_usage(None, [u for record in records for u in record["usage"]])
