"""synthesize: combine the step results into one answer (routed like the task itself)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph.types import StreamWriter

from asymroute.nodes.dual import DualRunnable
from asymroute.nodes.router_call import RouterRequest, router_node
from asymroute.records import route_record
from asymroute.workflow.state import StepRecord, WorkflowState
from asymroute.workflow.steps import run_records, run_totals, synthesis_messages


def make_synthesize(router: Any) -> DualRunnable:
    def prepare(state: WorkflowState) -> RouterRequest | None:
        results = state.get("step_results") or []
        if len(results) < 2:
            return None  # one step's answer is already the answer
        run_spent = run_totals(run_records(state))["cost_usd"]
        return RouterRequest(
            synthesis_messages(state["task"], results),
            thread_spent_usd=float(state.get("prior_thread_cost_usd") or 0.0) + run_spent,
            run_spent_usd=run_spent,
        )

    def finish(
        state: WorkflowState, result: Mapping[str, Any] | None, writer: StreamWriter
    ) -> dict[str, Any]:
        results = state.get("step_results") or []
        synthesis = None
        if result is not None:
            synthesis = StepRecord(
                kind="synthesis", index=0, text=state["task"], **route_record(result)
            )
        answer = synthesis["answer"] if synthesis else results[-1]["answer"]
        totals = run_totals(run_records({**state, "synthesis": synthesis}))
        thread = float(state.get("prior_thread_cost_usd") or 0.0) + totals["cost_usd"]
        writer({"workflow": "done", "totals": totals, "thread_cost_usd": thread})
        return {
            "synthesis": synthesis,
            "answer": answer,
            "totals": totals,
            "thread_cost_usd": round(thread, 10),
        }

    return router_node("synthesize", router, prepare, finish)
