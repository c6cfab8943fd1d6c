"""One chat completion through the router graph, answered in OpenAI's response shape."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from asymroute.context import RouterContext
from asymroute.gateway.schemas import ChatRequest
from asymroute.gateway.tool_messages import openai_tool_calls
from asymroute.json_mode import unfenced, wants_json
from asymroute.model_calls import finish_reason
from asymroute.records import PRICE_UNKNOWN
from asymroute.requests import content_text

FINISH_REASONS = {"stop": "stop", "length": "length", "eos": "stop", "max_tokens": "length"}


@dataclass
class Run:
    """One request on its way through the gateway."""

    request: ChatRequest
    context: RouterContext
    key_name: str
    started: float = field(default_factory=time.perf_counter)
    id: str = field(default_factory=lambda: f"chatcmpl-{uuid.uuid4().hex}")
    created: int = field(default_factory=lambda: int(time.time()))
    trace_id: uuid.UUID = field(default_factory=uuid.uuid4)
    """The id of the router graph's root run: the LangSmith trace of this request."""

    @property
    def graph_input(self) -> dict[str, Any]:
        return {"messages": self.request.messages}

    @property
    def graph_config(self) -> dict[str, Any]:
        """Names the run after the request, so a response leads to its trace and back."""
        return {
            "run_id": self.trace_id,
            "run_name": "asymroute gateway",
            "metadata": {
                "completion_id": self.id,
                "gateway_key": self.key_name,
                "gateway_model": self.request.model,
                "stream": self.request.stream,
            },
        }

    @property
    def trace_header(self) -> dict[str, str]:
        return {"x-asymroute-run-id": str(self.trace_id)}


def run_context(request: ChatRequest, profile: RouterContext) -> RouterContext:
    """The profile's context with the request's own parameters applied."""
    overrides: dict[str, Any] = {}
    if request.temperature is not None:
        overrides["temperature"] = request.temperature
    if request.max_tokens is not None:
        # The client's own cap: an answer stopped at it is not escalated as truncated.
        overrides["max_output_tokens"] = request.max_tokens
        overrides["truncation_escalates"] = False
    if request.stop:
        overrides["stop"] = request.stop
    if request.response_format is not None:
        overrides["response_format"] = request.response_format
    overrides |= request.sampling.given()
    if request.sampling.logit_bias:
        overrides["logit_bias"] = dict(request.sampling.logit_bias)
    if request.tools:
        overrides |= {
            "tools": request.tools,
            "tool_choice": request.tool_choice,
            "parallel_tool_calls": request.parallel_tool_calls,
        }
    return replace(profile, **overrides) if overrides else profile


def answer_text(state: Mapping[str, Any]) -> str:
    return content_text(state["messages"][-1])


def answer_finish_reason(state: Mapping[str, Any]) -> str:
    if openai_tool_calls(state["messages"][-1]):
        return "tool_calls"
    reason = finish_reason(state["messages"][-1])
    return FINISH_REASONS.get(reason or "stop", "stop")


@dataclass(frozen=True)
class Choice:
    content: str
    finish_reason: str
    logprobs: dict[str, Any] | None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    """OpenAI tool calls (`gateway.tool_messages`); the first choice's only."""

    def message(self) -> dict[str, Any]:
        """OpenAI's message; one that calls tools has `content` null when it wrote no text."""
        if not self.tool_calls:
            return {"role": "assistant", "content": self.content, "refusal": None}
        content = self.content or None
        return {
            "role": "assistant",
            "content": content,
            "refusal": None,
            "tool_calls": self.tool_calls,
        }


def answer_choices(state: Mapping[str, Any], context: RouterContext) -> list[Choice]:
    """The answer, and with n > 1 the frontier's other choices (`providers.openai`), with
    their log-probs when the request asked for them and the tier returned them."""
    message = state["messages"][-1]
    first = Choice(
        answer_text(state),
        answer_finish_reason(state),
        openai_logprobs(message.response_metadata.get("logprobs"), context),
        openai_tool_calls(message),
    )
    more = [
        Choice(
            _text(extra.get("content"), context.response_format),
            FINISH_REASONS.get(extra.get("finish_reason") or "stop", "stop"),
            openai_logprobs(extra.get("logprobs"), context),
        )
        for extra in message.response_metadata.get("more_choices", [])
    ]
    return [first, *more]


def _text(content: Any, response_format: Mapping[str, Any] | None) -> str:
    text = content if isinstance(content, str) else ""
    return unfenced(text) if wants_json(response_format) else text


def openai_logprobs(raw: Any, context: RouterContext) -> dict[str, Any] | None:
    """A tier's log-probs in OpenAI's shape, with `top_logprobs` cut to what was asked
    (tiers may return more: llama.cpp's server needs at least one); None unless asked."""
    if not context.logprobs or raw is None:
        return None
    entries = raw.get("content") if isinstance(raw, Mapping) else raw  # Ollama: a bare list
    if not isinstance(entries, list):
        return None
    keep = context.top_logprobs or 0
    content = [
        {
            "token": entry.get("token", ""),
            "logprob": entry.get("logprob"),
            "bytes": entry.get("bytes"),
            "top_logprobs": list(entry.get("top_logprobs") or [])[:keep],
        }
        for entry in entries
        if isinstance(entry, Mapping)
    ]
    return {"content": content, "refusal": None}


def answer_usage(state: Mapping[str, Any]) -> dict[str, int]:
    """Tokens of the call whose answer was returned (every call is in `asymroute.usage`)."""
    records = [
        r
        for r in state.get("usage", [])
        if r["model"] == state.get("answer_model") and not r["error"]
    ]
    record = records[-1] if records else None
    prompt = record["input_tokens"] if record else 0
    completion = record["output_tokens"] if record else 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def model_call_seconds(state: Mapping[str, Any]) -> float:
    return float(sum(record["latency_s"] for record in state.get("usage", [])))


def overhead_ms(run: Run, state: Mapping[str, Any]) -> float:
    """Time in the gateway not spent waiting on model calls (LiteLLM's 'overhead duration')."""
    elapsed = time.perf_counter() - run.started
    return round(max(0.0, elapsed - model_call_seconds(state)) * 1000, 3)


def routing_details(run: Run, state: Mapping[str, Any]) -> dict[str, Any]:
    decision = state.get("decision") or {}
    return {
        "profile": run.request.model,
        "tier": state.get("answered_by"),
        "model": state.get("answer_model"),
        "routed_tier": decision.get("tier"),
        "score": decision.get("score"),
        "threshold": decision.get("threshold"),
        "classifier": decision.get("classifier"),
        "reasons": decision.get("reasons"),
        "escalated": bool(state.get("escalated")),
        # Validator reasons may quote the rejected answer, which the client must never see.
        "validation": _validation_summary(state.get("verdict")),
        "flags": state.get("flags") or [],
        "cost_usd": state.get("total_cost_usd", 0.0),
        "usage": [public_usage(record) for record in state.get("usage", [])],
    }


def public_usage(record: Mapping[str, Any]) -> dict[str, Any]:
    """A usage record with its errors reduced to their class names: the full text quotes the
    upstream (its error body, internal URLs) and stays in the gateway's log."""
    error = record.get("error")
    return {
        **record,
        "error": _error_kind(error) if error else None,
        "attempt_errors": [_error_kind(text) for text in record.get("attempt_errors", [])],
    }


def _error_kind(described: str) -> str:
    """'APIStatusError: Error code: 500 - boom' -> 'APIStatusError'."""
    return described.split(":", 1)[0].split(" ", 1)[0]


def _validation_summary(verdict: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if verdict is None:
        return None
    failed = sorted({reason.split(":", 1)[0] for reason in verdict["reasons"]})
    return {
        "passed": verdict["passed"],
        "skipped": verdict["skipped"],
        "validators": verdict["validators"],
        "failed": [] if verdict["passed"] else failed,
    }


def deployment_headers(state: Mapping[str, Any]) -> dict[str, str]:
    """Which model-list deployment answered, which failed before it, which were skipped and
    why (`x-asymroute-skipped: a=cooling_down, b=at_concurrency_limit`); none without a list."""
    record = answering_record(state)
    if record is None:
        return {}
    headers: dict[str, str] = {}
    if "deployment" in record:
        headers["x-asymroute-deployment"] = str(record["deployment"])
    if record.get("fallback_from"):
        headers["x-asymroute-fallback-from"] = ", ".join(record["fallback_from"])
    if record.get("skipped"):
        headers["x-asymroute-skipped"] = ", ".join(
            f"{name}={why}" for name, why in record["skipped"].items()
        )
    return headers


def answering_record(state: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The usage record of the call whose answer was returned."""
    tier = state.get("answered_by")
    records = [r for r in state.get("usage", []) if r["tier"] == tier and not r["error"]]
    return records[-1] if records else None


def routing_headers(state: Mapping[str, Any], *, with_cost: bool = True) -> dict[str, str]:
    headers = {
        "x-asymroute-tier": str(state.get("answered_by")),
        "x-asymroute-model": str(state.get("answer_model")),
        "x-asymroute-escalated": "true" if state.get("escalated") else "false",
    }
    headers.update(deployment_headers(state))
    decision = state.get("decision")
    if decision:
        headers["x-asymroute-score"] = f"{decision['score']:.4f}"
    if with_cost:
        headers["x-asymroute-cost-usd"] = f"{state.get('total_cost_usd', 0.0):.8f}"
        if PRICE_UNKNOWN in (state.get("flags") or []):
            headers["x-asymroute-price-unknown"] = "true"  # the cost above counts that call as $0
    return headers


def completion_body(run: Run, state: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": run.id,
        "object": "chat.completion",
        "created": run.created,
        "model": state.get("answer_model"),
        "system_fingerprint": None,
        "choices": [
            {
                "index": index,
                "message": choice.message(),
                "logprobs": choice.logprobs,
                "finish_reason": choice.finish_reason,
            }
            for index, choice in enumerate(answer_choices(state, run.context))
        ],
        "usage": answer_usage(state),
        "asymroute": routing_details(run, state),
    }
