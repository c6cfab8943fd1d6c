"""plan_steps: take the caller's steps, or have a model chosen by the router write them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph.types import StreamWriter

from asymroute.nodes.dual import DualRunnable
from asymroute.nodes.router_call import RouterRequest, router_node
from asymroute.records import route_record
from asymroute.workflow.state import StepRecord, WorkflowState
from asymroute.workflow.steps import check_workflow_input, parse_plan, planner_messages


def make_plan_steps(router: Any) -> DualRunnable:
    def prepare(state: WorkflowState) -> RouterRequest | None:
        task, steps, max_steps = check_workflow_input(state)
        if steps is not None:
            return None
        prior = float(state.get("thread_cost_usd") or 0.0)
        return RouterRequest(planner_messages(task, max_steps), thread_spent_usd=prior)

    def finish(
        state: WorkflowState, result: Mapping[str, Any] | None, writer: StreamWriter
    ) -> dict[str, Any]:
        task, steps, max_steps = check_workflow_input(state)
        plan: StepRecord | None = None
        if result is not None:
            plan = StepRecord(kind="plan", index=0, text=task, **route_record(result))
            steps = parse_plan(plan["answer"], task, max_steps)
        assert steps is not None
        writer({"workflow": "plan", "steps": steps, "record": plan})
        prior = float(state.get("thread_cost_usd") or 0.0)
        # A new run on the thread: earlier runs' spend stays in the thread total.
        return {
            "steps": steps,
            "plan": plan,
            "step_results": None,
            "synthesis": None,
            "answer": None,
            "prior_thread_cost_usd": prior,
            "thread_cost_usd": prior + (plan["cost_usd"] if plan else 0.0),
        }

    return router_node("plan_steps", router, prepare, finish)
