"""Every record of what happened to a request, and how it is summed, logged and printed.

- The typed records that live in graph state: `RoutingDecision`, `ValidationVerdict`,
  `UsageRecord` (one per model call), and the flags that explain an unusual route.
- `RouteRecord` / `UsageTotals`: what one routed request cost and where it went, and running
  totals over many (the workflow graph keeps one per plan / step / synthesis, the chat graph
  one per turn), built from the router's final state, so they hold recorded usage only.
- A router run's final state as plain JSON (`result_json`), and the one-line summaries the CLI
  prints (`summary_line`, `route_line`, `totals_line`).

It imports no other asymroute module but `requests` (message text), so every layer may use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, NotRequired, TypeVar

from langchain_core.messages import BaseMessage
from typing_extensions import TypedDict

from asymroute.requests import content_text

Tier = Literal["local", "frontier"]

# Why a request was answered somewhere other than where it should have been.
FRONTIER_UNAVAILABLE = "frontier_unavailable"
FRONTIER_FAILED = "frontier_failed"
VALIDATION_FAILED_UNESCALATED = "validation_failed_unescalated"
# The frontier was needed but the next call would exceed a budget (policy `downgrade`).
BUDGET_EXHAUSTED = "budget_exhausted"
# An endpoint was skipped while cooling down after repeated failures (asymroute.resilience).
ENDPOINT_COOLDOWN = "endpoint_cooldown"
# Sensitive data kept the request on the local tier, or was redacted before the frontier.
PRIVACY_LOCAL = "privacy_local"
PRIVACY_REDACTED = "privacy_redacted"
# A model the price table does not know answered: its cost is recorded as $0 (ASYMROUTE_PRICES
# sets a price).
PRICE_UNKNOWN = "price_unknown"


class RoutingDecision(TypedDict):
    tier: Tier
    score: float
    threshold: float
    reasons: list[str]
    classifier: str
    frontier_unavailable: bool
    privacy: NotRequired[list[str]]
    """Sensitive-data categories found in the request (never the values)."""
    cooling_down: NotRequired[list[Tier]]
    """Tiers whose endpoint was cooling down when the request was routed."""
    diverted_to: NotRequired[Tier]
    """The tier the request starts on instead, because `tier`'s endpoint is cooling down."""


class ValidationVerdict(TypedDict):
    passed: bool
    reasons: list[str]
    validators: list[str]
    skipped: bool
    confidence: NotRequired[float | None]
    """Mean confidence of the estimating validators (confidence, scorer, self_verify,
    consistency)."""
    failed: NotRequired[list[str]]
    """Names of the validators that failed the answer."""
    judgements: NotRequired[dict[str, ValidatorJudgement]]
    """Each validator that ran: passed, confidence (None: not measured) and reasons."""


class ValidatorJudgement(TypedDict):
    passed: bool
    confidence: float | None
    reasons: list[str]


class UsageRecord(TypedDict):
    model: str
    tier: Tier
    input_tokens: int
    output_tokens: int
    latency_s: float
    cost_usd: float
    priced: bool
    error: str | None
    attempts: NotRequired[int]
    """Requests sent to the endpoint for this call: retries included, 0 when it was skipped."""
    attempt_errors: NotRequired[list[str]]
    """The error of each failed attempt, in order (the last one is `error` if all failed)."""
    deployment: NotRequired[str]
    """The model list's deployment that answered (or failed last); absent without a list."""
    fallback_from: NotRequired[list[str]]
    """Deployments of the tier that failed first, in order (their tokens, cost and attempts
    are counted in this record)."""
    skipped: NotRequired[dict[str, str]]
    """Deployments of the tier not called, and why: `cooling_down`, `at_concurrency_limit`."""
    tokens_estimated: NotRequired[bool]
    """The endpoint reported no usage (llama.cpp's server when streaming): the tokens are
    estimated from the characters sent and received (`budget.estimated_usage`)."""


RecordT = TypeVar("RecordT")


def append_or_reset(left: Sequence[RecordT], right: Sequence[RecordT] | None) -> list[RecordT]:
    """A state reducer for a log of records: appends `right`; `None` starts the log afresh
    (a node sends it at the start of a new request or run)."""
    if right is None:
        return []
    return [*left, *right]


def spent_usd(usage: Iterable[UsageRecord]) -> float:
    return round(sum(record["cost_usd"] for record in usage), 10)


def attempts_made(usage: Sequence[Mapping[str, Any]] | None) -> int:
    """Requests actually sent to model endpoints; a call skipped by a cooldown sent none."""
    return sum(int(record.get("attempts", 1)) for record in usage or [])


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


def deployment_parts(state: Mapping[str, Any]) -> list[str]:
    """The model list's deployment that answered, and those that failed or were skipped first
    (nothing without a model list)."""
    tier = state.get("answered_by")
    answered = [r for r in state.get("usage") or [] if r["tier"] == tier and not r["error"]]
    if not answered:
        return []
    record, parts = answered[-1], []
    if record.get("deployment"):
        parts.append(f"deployment={record['deployment']}")
    if record.get("fallback_from"):
        parts.append("fallback_from=" + ",".join(record["fallback_from"]))
    if record.get("skipped"):
        parts.append("skipped=" + ",".join(f"{k}:{v}" for k, v in record["skipped"].items()))
    return parts


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
    parts += deployment_parts(state)
    if flags:
        parts.append("flags=" + ",".join(flags))
    if FRONTIER_UNAVAILABLE in flags:
        parts.append("frontier_unavailable: no frontier configured, answered by the local tier")
    parts += [f"latency={latency_s:.2f}s", f"cost=${state.get('total_cost_usd', 0.0):.6f}"]
    return " | ".join(parts)
