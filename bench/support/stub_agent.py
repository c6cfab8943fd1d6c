"""The upstream stub's answers to requests with `tools`: a scripted, protocol-faithful agent.

It calls the offered tools in order, one per step, until each has been called once in the
current task (the tool messages since the last user turn), then answers in text quoting every
tool result: "Done. get_weather: 18C; to_fahrenheit: 64.4F". A `tool_choice` naming a tool is
obeyed; `none` gets the text answer at once. Arguments are made from the tool's JSON Schema:
a required string takes the user turn's first capitalised word after its first word (a city),
the k-th number the k-th number of the latest tool result followed by the user turn's; `$ref`s
are followed.

Responses and SSE chunks are OpenAI's: `message.tool_calls` with arguments as a JSON string,
`finish_reason: "tool_calls"`, and, streamed, the call's id and name first and its arguments
in two pieces, as OpenAI sends them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
WORD = re.compile(r"\b[A-Z][a-z]+\b")


def _task(messages: list[Mapping[str, Any]]) -> tuple[str, list[tuple[str, str]]]:
    """The latest user turn and the (tool name, result) of the tool messages after it."""
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    user = str(messages[last_user].get("content") or "") if last_user >= 0 else ""
    names = {
        call.get("id"): call.get("function", {}).get("name")
        for m in messages
        for call in m.get("tool_calls") or []
    }
    results = [
        (str(m.get("name") or names.get(m.get("tool_call_id")) or "tool"), str(m.get("content")))
        for m in messages[last_user + 1 :]
        if m.get("role") == "tool"
    ]
    return user, results


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        return _resolve(target, root)
    return schema


def _value(schema: Mapping[str, Any], root: Mapping[str, Any], task: _Task) -> Any:
    schema = _resolve(schema, root)
    kind = schema.get("type")
    if kind in ("number", "integer"):
        found = task.numbers[task.used] if task.used < len(task.numbers) else "0"
        task.used += 1
        return int(float(found)) if kind == "integer" else float(found)
    if kind == "boolean":
        return True
    if kind == "object":
        return _arguments(schema, root, task)
    if kind == "array":
        return []
    words = WORD.findall(task.user.split(" ", 1)[-1])
    return words[0] if words else task.user[:40]


@dataclass
class _Task:
    user: str
    numbers: list[str]
    """The latest tool result's numbers, then the user turn's: taken in order."""
    used: int = 0


def _arguments(schema: Mapping[str, Any], root: Mapping[str, Any], task: _Task) -> dict[str, Any]:
    properties = schema.get("properties") or {}
    return {
        name: _value(properties[name], root, task)
        for name in schema.get("required", list(properties))
        if name in properties
    }


def agent_message(request: Mapping[str, Any]) -> dict[str, Any]:
    """The assistant message this stub answers a request with `tools`."""
    tools = [t["function"] for t in request.get("tools") or [] if t.get("type") == "function"]
    user, results = _task(list(request.get("messages") or []))
    choice = request.get("tool_choice")
    named = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
    step = len(results)
    tool = next((t for t in tools if t["name"] == named), None) if named else None
    if tool is None and choice != "none" and step < len(tools):
        tool = tools[step]
    if tool is None:
        quoted = "; ".join(f"{name}: {result}" for name, result in results)
        return {"role": "assistant", "content": f"Done. {quoted}" if quoted else "Done."}
    latest = results[-1][1] if results else ""
    parameters = tool.get("parameters") or {}
    task = _Task(user, NUMBER.findall(latest) + NUMBER.findall(user))
    arguments = _arguments(parameters, parameters, task)
    call = {
        "id": f"call_stub_{step}",
        "type": "function",
        "function": {"name": tool["name"], "arguments": json.dumps(arguments)},
    }
    return {"role": "assistant", "content": None, "tool_calls": [call]}


def finish_reason(message: Mapping[str, Any]) -> str:
    return "tool_calls" if message.get("tool_calls") else "stop"


def agent_stream_deltas(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The message as OpenAI's stream deltas (before the final, empty one)."""
    if not message.get("tool_calls"):
        return [{"role": "assistant", "content": ""}, {"content": message["content"]}]
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": None}]
    for index, call in enumerate(message["tool_calls"]):
        arguments = call["function"]["arguments"]
        half = len(arguments) // 2
        head = {"name": call["function"]["name"], "arguments": arguments[:half]}
        opening = {"index": index, "id": call["id"], "type": "function", "function": head}
        deltas.append({"tool_calls": [opening]})
        tail = {"arguments": arguments[half:]}
        deltas.append({"tool_calls": [{"index": index, "function": tail}]})
    return deltas
