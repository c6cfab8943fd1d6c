"""A router run's final state as plain JSON, and as the one-line summary the CLI prints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.messages import BaseMessage

from asymroute.records import FRONTIER_UNAVAILABLE
from asymroute.requests import content_text
from asymroute.resilience import attempts_made


def message_json(message: BaseMessage) -> dict[str, Any]:
    data: dict[str, Any] = {"role": message.type, "content": content_text(message)}
    if getattr(message, "usage_metadata", None):
        data["usage_metadata"] = dict(message.usage_metadata)  # type: ignore[attr-defined]
    if message.response_metadata:
        data["response_metadata"] = dict(message.response_metadata)
    return data


def result_json(state: Mapping[str, Any], latency_s: float | None = None) -> dict[str, Any]:
    """Every field of the final state, with messages flattened to role/content dicts."""
    out: dict[str, Any] = {}
    for key, value in state.items():
        if key == "messages":
            out[key] = [message_json(m) for m in value]
        elif isinstance(value, BaseMessage):
            out[key] = message_json(value)
        else:
            out[key] = value
    messages = state.get("messages") or []
    out["answer"] = content_text(messages[-1]) if messages else None
    usage = state.get("usage") or []
    # Bounded per request (asymroute.resilience.request_attempt_bound); skipped calls send none.
    out["calls"] = {"model_calls": len(usage), "attempts": attempts_made(usage)}
    if latency_s is not None:
        out["latency_s"] = round(latency_s, 4)
    return out


def summary_line(state: Mapping[str, Any], latency_s: float) -> str:
    decision = state["decision"]
    flags = state.get("flags") or []
    parts = [
        f"tier={state.get('answered_by')}",
        f"model={state.get('answer_model')}",
        f"routed={decision['tier']}",
        f"score={decision['score']:.3f}",
        f"threshold={decision['threshold']:.2f}",
        f"classifier={decision['classifier']}",
        "reasons=" + "; ".join(decision["reasons"]),
        f"escalated={'yes' if state.get('escalated') else 'no'}",
    ]
    if state.get("escalation_reason"):
        parts.append(f"escalation_reason={state['escalation_reason']}")
    if flags:
        parts.append("flags=" + ",".join(flags))
    if FRONTIER_UNAVAILABLE in flags:
        parts.append("frontier_unavailable: no frontier configured, answered by the local tier")
    parts += [f"latency={latency_s:.2f}s", f"cost=${state.get('total_cost_usd', 0.0):.6f}"]
    return " | ".join(parts)
