"""Tool calling in OpenAI's wire format: request fields and messages in, tool calls out.

In: `tools` (each `parameters` must be a valid JSON Schema: `asymroute.tool_calls`),
`tool_choice` (auto, none, required, or an offered tool), `parallel_tool_calls`; assistant
messages with `tool_calls` and `tool` messages, whose `tool_call_id` must answer a call made
earlier in the conversation. Every fault is a 400 naming its field.

Out: an answer's LangChain tool calls as OpenAI `tool_calls` (arguments as a JSON string), whole
or as streaming deltas.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from asymroute.gateway.errors import GatewayError, invalid
from asymroute.tool_calls import ToolDefinitionError, checked_tool_choice, openai_tools


def tool_fields(data: Mapping[str, Any]) -> tuple[tuple[dict[str, Any], ...], Any, bool | None]:
    """`tools`, `tool_choice`, `parallel_tool_calls` of a request body, checked."""
    try:
        tools = openai_tools(data.get("tools"))
        choice = checked_tool_choice(data.get("tool_choice"), tools)
    except ToolDefinitionError as exc:
        raise invalid(str(exc), exc.param) from exc
    parallel = data.get("parallel_tool_calls")
    if parallel is not None and not isinstance(parallel, bool):
        raise invalid("'parallel_tool_calls' must be true or false", "parallel_tool_calls")
    if parallel is not None and not tools:
        raise invalid(
            "'parallel_tool_calls' is only allowed when 'tools' are given", "parallel_tool_calls"
        )
    return tools, choice, parallel


def assistant_message(param: str, item: Mapping[str, Any], content: str) -> AIMessage:
    """An assistant turn, with the tool calls it made (if any)."""
    raw_calls = item.get("tool_calls")
    if raw_calls is None:
        return AIMessage(content=content, name=item.get("name"))
    if not isinstance(raw_calls, list):
        raise invalid(f"{param}.tool_calls must be an array", f"{param}.tool_calls")
    calls = [_tool_call(f"{param}.tool_calls[{i}]", raw) for i, raw in enumerate(raw_calls)]
    return AIMessage(content=content, name=item.get("name"), tool_calls=calls)


def _tool_call(param: str, raw: Any) -> dict[str, Any]:
    function = raw.get("function") if isinstance(raw, dict) else None
    if not isinstance(function, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
        raise invalid(
            f'{param} must be {{"id": ..., "type": "function", "function": {{"name": ..., '
            '"arguments": "<JSON>"}}',
            param,
        )
    if not isinstance(function.get("name"), str) or not function["name"]:
        raise invalid(f"{param}.function.name must be a non-empty string", f"{param}.function.name")
    arguments = function.get("arguments", "{}")
    try:
        args = json.loads(arguments) if isinstance(arguments, str) else None
    except ValueError:
        args = None
    if not isinstance(args, dict):
        raise invalid(
            f"{param}.function.arguments must be a JSON object encoded as a string",
            f"{param}.function.arguments",
        )
    return {"name": function["name"], "args": args, "id": raw["id"], "type": "tool_call"}


def tool_message(param: str, item: Mapping[str, Any], content: str) -> ToolMessage:
    call_id = item.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        field = f"{param}.tool_call_id"
        raise invalid(f"{field} is required for a tool message", field)
    return ToolMessage(content=content, tool_call_id=call_id, name=item.get("name"))


def check_tool_results(messages: Sequence[BaseMessage]) -> None:
    """Each tool message answers a call an earlier assistant message made."""
    called: set[str] = set()
    for index, message in enumerate(messages):
        if isinstance(message, AIMessage):
            called.update(str(call["id"]) for call in message.tool_calls)
        elif isinstance(message, ToolMessage) and message.tool_call_id not in called:
            raise GatewayError(
                400,
                f"messages[{index}].tool_call_id {message.tool_call_id!r} matches no tool call "
                "of an earlier assistant message",
                param=f"messages[{index}].tool_call_id",
                code="invalid_tool_call_id",
            )


def openai_tool_calls(message: BaseMessage) -> list[dict[str, Any]]:
    """The answer's tool calls in OpenAI's form (an empty list for a text answer)."""
    if not isinstance(message, AIMessage):
        return []
    return [
        {
            "id": call["id"],
            "type": "function",
            "function": {"name": call["name"], "arguments": json.dumps(call["args"])},
        }
        for call in message.tool_calls
    ]


def tool_call_deltas(message: BaseMessage) -> list[dict[str, Any]]:
    """A streamed chunk's tool-call pieces as OpenAI deltas (id, type and name come once)."""
    deltas: list[dict[str, Any]] = []
    for position, chunk in enumerate(getattr(message, "tool_call_chunks", None) or []):
        index = chunk.get("index")
        delta: dict[str, Any] = {"index": index if index is not None else position}
        function: dict[str, Any] = {}
        if chunk.get("id"):
            delta |= {"id": chunk["id"], "type": "function"}
        if chunk.get("name"):
            function["name"] = chunk["name"]
        if chunk.get("args"):
            function["arguments"] = chunk["args"]
        if function:
            delta["function"] = function
        if len(delta) > 1:
            deltas.append(delta)
    return deltas


def whole_tool_call_deltas(message: BaseMessage) -> list[dict[str, Any]]:
    """A complete answer's tool calls as one delta each (a validated local answer)."""
    return [{"index": i, **call} for i, call in enumerate(openai_tool_calls(message))]
