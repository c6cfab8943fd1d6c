"""Lines `run-workflow` prints as the plan, each step and the totals come in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asymroute.records import route_line, totals_line

TEXT_CHARS = 70


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 3] + "..."


def print_event(event: Mapping[str, Any]) -> None:
    kind = event.get("workflow")
    if kind == "plan":
        record = event["record"]
        source = f"written on {route_line(record)}" if record else "given by the caller"
        print(f"plan: {len(event['steps'])} steps, {source}", flush=True)
        for number, step in enumerate(event["steps"], 1):
            print(f"  {number}. {_short(step)}", flush=True)
    elif kind == "step":
        record = event["record"]
        print(f"step {record['index']}/{event['of']}: {_short(record['text'])}", flush=True)
        print(f"  {route_line(record)}", flush=True)
    elif kind == "done":
        print(f"totals: {totals_line(event['totals'])}", flush=True)


def print_summary(state: Mapping[str, Any]) -> None:
    synthesis = state.get("synthesis")
    if synthesis:
        print(f"synthesis: {route_line(synthesis)}")
    print(state.get("answer") or "")
    if state.get("totals"):
        print(f"[asymroute] run {totals_line(state['totals'])}")
    print(f"[asymroute] thread cost=${float(state.get('thread_cost_usd') or 0.0):.6f}")
