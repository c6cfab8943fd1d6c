"""What one routed request cost and where it went, and running totals over many of them.

Shared by the workflow graph (one record per plan / step / synthesis) and the chat graph
(one record per turn). Built from the router's final state, so they hold recorded usage only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from typing_extensions import TypedDict

from asymroute.budget import spent_usd
from asymroute.records import Tier, UsageRecord
from asymroute.requests import content_text


class RouteRecord(TypedDict):
    answer: str
    tier: Tier | None
    """The tier that answered (after any escalation or downgrade)."""
    routed: Tier
    """The tier the classifier chose."""
    model: str | None
    score: float
    threshold: float
    reasons: list[str]
    escalated: bool
    escalation_reason: str | None
    flags: list[str]
    cost_usd: float
    usage: list[UsageRecord]


class UsageTotals(TypedDict):
    calls: dict[str, int]
    """Model calls per tier, failed calls included (they are recorded, and may be billed)."""
    input_tokens: int
    output_tokens: int
    cost_usd: float


def route_record(router_state: Mapping[str, Any]) -> RouteRecord:
    decision = router_state["decision"]
    usage = list(router_state.get("usage") or [])
    messages = router_state.get("messages") or []
    return RouteRecord(
        answer=content_text(messages[-1]) if messages else "",
        tier=router_state.get("answered_by"),
        routed=decision["tier"],
        model=router_state.get("answer_model"),
        score=decision["score"],
        threshold=decision["threshold"],
        reasons=list(decision["reasons"]),
        escalated=bool(router_state.get("escalated")),
        escalation_reason=router_state.get("escalation_reason"),
        flags=list(router_state.get("flags") or []),
        cost_usd=spent_usd(usage),
        usage=usage,
    )


def empty_totals() -> UsageTotals:
    return UsageTotals(
        calls={"local": 0, "frontier": 0}, input_tokens=0, output_tokens=0, cost_usd=0.0
    )


def add_usage(totals: UsageTotals | None, usage: Iterable[UsageRecord]) -> UsageTotals:
    """New totals; the old ones are left as they were (they live in checkpointed state)."""
    base = totals if totals is not None else empty_totals()
    records = list(usage)
    calls = dict(base["calls"])
    for record in records:
        calls[record["tier"]] = calls.get(record["tier"], 0) + 1
    return UsageTotals(
        calls=calls,
        input_tokens=base["input_tokens"] + sum(r["input_tokens"] for r in records),
        output_tokens=base["output_tokens"] + sum(r["output_tokens"] for r in records),
        cost_usd=round(base["cost_usd"] + spent_usd(records), 10),
    )


def route_line(record: RouteRecord) -> str:
    """One line per routed request, as the CLI prints it."""
    parts = [
        f"tier={record['tier']}",
        f"model={record['model']}",
        f"routed={record['routed']}",
        f"score={record['score']:.3f}",
        "reasons=" + "; ".join(record["reasons"]),
        f"escalated={'yes' if record['escalated'] else 'no'}",
    ]
    if record["flags"]:
        parts.append("flags=" + ",".join(record["flags"]))
    parts.append(f"cost=${record['cost_usd']:.6f}")
    return " | ".join(parts)


def totals_line(totals: UsageTotals) -> str:
    calls = ", ".join(f"{tier} {count}" for tier, count in sorted(totals["calls"].items()))
    return (
        f"calls: {calls} | tokens: {totals['input_tokens']} in, {totals['output_tokens']} out"
        f" | cost=${totals['cost_usd']:.6f}"
    )
