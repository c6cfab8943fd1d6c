"""run_step: route the next step on its own, with the earlier steps' results as context."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph.types import StreamWriter

from asymroute.nodes.dual import DualRunnable
from asymroute.nodes.router_call import RouterRequest, router_node
from asymroute.records import route_record
from asymroute.workflow.state import StepRecord, WorkflowState
from asymroute.workflow.steps import run_records, run_totals, step_messages


def make_run_step(router: Any) -> DualRunnable:
    def prepare(state: WorkflowState) -> RouterRequest:
        done = state.get("step_results") or []
        run_spent = run_totals(run_records(state))["cost_usd"]
        return RouterRequest(
            step_messages(state["task"], state["steps"][len(done)], done),
            thread_spent_usd=float(state.get("prior_thread_cost_usd") or 0.0) + run_spent,
            run_spent_usd=run_spent,
        )

    def finish(
        state: WorkflowState, result: Mapping[str, Any] | None, writer: StreamWriter
    ) -> dict[str, Any]:
        assert result is not None
        index = len(state.get("step_results") or []) + 1
        record = StepRecord(
            kind="step", index=index, text=state["steps"][index - 1], **route_record(result)
        )
        writer({"workflow": "step", "of": len(state["steps"]), "record": record})
        thread = float(state.get("thread_cost_usd") or 0.0) + record["cost_usd"]
        return {"step_results": [record], "thread_cost_usd": round(thread, 10)}

    return router_node("run_step", router, prepare, finish)
