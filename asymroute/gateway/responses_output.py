"""A router run's answer as a Responses API `response` object.

The answer is one `message` item (its text as one `output_text` part) followed by a
`function_call` item per tool call; an answer that only calls tools has no message item. An
answer cut off at `max_output_tokens` is `incomplete`, as OpenAI reports it. The routing details
(tier, score, reasons, cost) ride along under `asymroute`, as on chat completions.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

from asymroute.gateway.completions import Run, answer_choices, answer_usage, routing_details
from asymroute.gateway.responses_request import ResponsesRequest


def item_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def message_item(
    item: str, text: str, logprobs: list[dict[str, Any]] | None, status: str
) -> dict[str, Any]:
    return {
        "type": "message",
        "id": item,
        "status": status,
        "role": "assistant",
        "content": [text_part(text, logprobs)],
    }


def text_part(text: str, logprobs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": logprobs or []}


def function_call_item(
    item: str, call_id: str, name: str, arguments: str, status: str = "completed"
) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": item,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    }


def responses_usage(usage: Mapping[str, int]) -> dict[str, Any]:
    """Chat usage (prompt/completion tokens) in the Responses API's names."""
    return {
        "input_tokens": usage.get("prompt_tokens", 0),
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": usage.get("completion_tokens", 0),
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": usage.get("total_tokens", 0),
    }


def response_object(
    run: Run,
    *,
    status: str,
    model: str | None,
    output: list[dict[str, Any]],
    usage: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The `response` object, at any point of its life (in_progress, completed, ...)."""
    echo = run.request.echo if isinstance(run.request, ResponsesRequest) else {}
    body: dict[str, Any] = {
        "id": run.id,
        "object": "response",
        "created_at": run.created,
        "status": status,
        "completed_at": int(time.time()) if status == "completed" else None,
        "model": model or run.request.model,
        "output": output,
        "error": error,
        "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
        "usage": usage,
        **echo,
    }
    if details is not None:
        body["asymroute"] = details
    return body


def response_body(run: Run, state: Mapping[str, Any]) -> dict[str, Any]:
    """The finished run as a `response` object (`POST /v1/responses`, no stream)."""
    choice = answer_choices(state, run.context)[0]
    status = "incomplete" if choice.finish_reason == "length" else "completed"
    logprobs = (choice.logprobs or {}).get("content")
    output: list[dict[str, Any]] = []
    if choice.content or not choice.tool_calls:
        output.append(message_item(item_id("msg"), choice.content, logprobs, status))
    for call in choice.tool_calls:
        function = call["function"]
        output.append(
            function_call_item(item_id("fc"), call["id"], function["name"], function["arguments"])
        )
    return response_object(
        run,
        status=status,
        model=state.get("answer_model"),
        output=output,
        usage=responses_usage(answer_usage(state)),
        details=routing_details(run, state),
    )
