"""Tools offered to a run: their definitions checked once, bound to whichever tier answers.

A run's tools are OpenAI function tools (`{"type": "function", "function": {"name",
"description", "parameters"}}`), the form both the gateway and every provider speak; LangChain
tools, pydantic models and typed functions are converted to it. Each tool's `parameters` must be
a valid JSON Schema (checked against its meta-schema by `jsonschema`), so a call's arguments
can be validated against it later (`validators.tool_calls`).

Layer: the floor (errors and LangChain's message/tool utilities only).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from jsonschema import validators as jsonschema_validators
from jsonschema.exceptions import SchemaError
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.base import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool

from asymroute.errors import ConfigurationError
from asymroute.records import RoutingDecision

TOOL_CHOICE_WORDS = ("auto", "none", "required")
LOCAL_CANNOT_CALL_TOOLS = "local_cannot_call_tools"
"""Flag: the run offered tools and the local tier's provider cannot call them."""


class ToolDefinitionError(ConfigurationError):
    """A tool or tool_choice that cannot be offered; `param` names the field (`tools[1]...`)."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


def openai_tools(tools: Any) -> tuple[dict[str, Any], ...]:
    """The tools in OpenAI's function form, each checked; raises `ToolDefinitionError`."""
    if tools is None:
        return ()
    if isinstance(tools, str | bytes | Mapping) or not isinstance(tools, Sequence):
        raise ToolDefinitionError(
            f"tools must be a list of tool definitions, got {type(tools).__name__}", "tools"
        )
    converted = tuple(_openai_tool(index, tool) for index, tool in enumerate(tools))
    names = [tool["function"]["name"] for tool in converted]
    if duplicated := sorted({name for name in names if names.count(name) > 1}):
        raise ToolDefinitionError(
            f"tools has more than one tool named {duplicated[0]!r}; tool names must be unique",
            "tools",
        )
    return converted


def _openai_tool(index: int, tool: Any) -> dict[str, Any]:
    param = f"tools[{index}]"
    if isinstance(tool, Mapping):
        if tool.get("type") != "function" or not isinstance(tool.get("function"), Mapping):
            raise ToolDefinitionError(
                f'{param} must be {{"type": "function", "function": {{"name": ..., '
                '"parameters": {...}}}}; only function tools are supported',
                param,
            )
        function = dict(tool["function"])
    else:
        try:
            function = dict(convert_to_openai_tool(tool)["function"])
        except Exception as exc:  # LangChain raises several types for one kind of mistake
            raise ToolDefinitionError(f"{param} is not a tool: {exc}", param) from exc
    name = function.get("name")
    if not isinstance(name, str) or not name or len(name) > 64:
        raise ToolDefinitionError(
            f"{param}.function.name must be a non-empty string of at most 64 characters",
            f"{param}.function.name",
        )
    parameters = function.get("parameters", {"type": "object", "properties": {}})
    check_parameters_schema(parameters, f"{param}.function.parameters")
    return {"type": "function", "function": {**function, "parameters": parameters}}


def check_parameters_schema(schema: Any, param: str) -> None:
    """A tool's `parameters` must be a JSON Schema object (its own meta-schema's check)."""
    if not isinstance(schema, Mapping):
        raise ToolDefinitionError(f"{param} must be a JSON Schema object", param)
    try:
        problem = _schema_problem(json.dumps(schema, sort_keys=True))
    except (TypeError, ValueError) as exc:
        raise ToolDefinitionError(f"{param} must be plain JSON: {exc}", param) from exc
    if problem is not None:
        raise ToolDefinitionError(f"{param} is not a valid JSON Schema ({problem})", param)


@lru_cache(maxsize=1024)
def _schema_problem(schema_json: str) -> str | None:
    """Cached by the schema's text: the meta-schema check takes about 1.3 ms a tool, and an
    agent sends the same tools at every step (the gateway checks them twice per request)."""
    schema = json.loads(schema_json)
    try:
        jsonschema_validators.validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(part) for part in exc.absolute_path) or "its root"
        return f"at {where}: {exc.message}"
    return None


def tool_names(tools: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(tool["function"]["name"]) for tool in tools]


def checked_tool_choice(choice: Any, tools: Sequence[Mapping[str, Any]]) -> Any:
    """auto | none | required | {"type": "function", "function": {"name": <an offered tool>}}."""
    if choice is None:
        return None
    if not tools:
        raise ToolDefinitionError("tool_choice is only allowed when tools are given", "tool_choice")
    if choice in TOOL_CHOICE_WORDS:
        return choice
    name = forced_tool(choice)
    if name is None:
        raise ToolDefinitionError(
            'tool_choice must be "auto", "none", "required" or {"type": "function", '
            f'"function": {{"name": ...}}}}, got {choice!r}',
            "tool_choice",
        )
    if name not in tool_names(tools):
        raise ToolDefinitionError(
            f"tool_choice names the tool {name!r}, which is not among the tools offered "
            f"({', '.join(tool_names(tools))})",
            "tool_choice",
        )
    return {"type": "function", "function": {"name": name}}


def forced_tool(choice: Any) -> str | None:
    """The tool a `tool_choice` object names; None for the words and anything else."""
    if not isinstance(choice, Mapping) or choice.get("type") != "function":
        return None
    function = choice.get("function")
    name = function.get("name") if isinstance(function, Mapping) else None
    return name if isinstance(name, str) else None


def requires_tool_call(choice: Any) -> bool:
    return choice == "required" or forced_tool(choice) is not None


def offers_tools(tools: Sequence[Any], choice: Any) -> bool:
    """Whether a run's answer may be a tool call (tools given, and not tool_choice none)."""
    return bool(tools) and choice != "none"


def skip_local_for_tools(
    decision: RoutingDecision, *, offered: bool, local_calls_tools: bool, frontier_usable: bool
) -> tuple[RoutingDecision, list[str]]:
    """A request with tools starts on the frontier when the local tier cannot call tools.

    With no usable frontier (not configured, or privacy holds the request) it stays local and
    is answered without its tools; the flag says so either way.
    """
    if not offered or local_calls_tools:
        return decision, []
    skipped = RoutingDecision(**decision)  # type: ignore[typeddict-item]
    planned = decision.get("diverted_to") or (
        "frontier"
        if decision["tier"] == "frontier" and not decision["frontier_unavailable"]
        else "local"
    )
    if planned == "local" and frontier_usable:
        skipped["diverted_to"] = "frontier"
        skipped["reasons"] = [
            *decision["reasons"],
            "tools: the local tier cannot call tools; starting on the frontier",
        ]
    return skipped, [LOCAL_CANNOT_CALL_TOOLS]


def bind_run_tools(
    model: BaseChatModel,
    tools: Sequence[Mapping[str, Any]],
    choice: Any,
    parallel: bool | None,
    *,
    calls_tools: bool,
    parallel_supported: bool,
    whole: bool = False,
) -> Runnable[LanguageModelInput, BaseMessage]:
    """The tier's model with the run's tools bound (`bind_tools`), or the model itself (no
    tools, or a provider that cannot call them: `skip_local_for_tools` flagged that).

    `whole`: the call is not streamed (`stream=False`, which every LangChain chat model
    honours) even when the run is. The local tier's answer is validated whole before a client
    sees any of it, so streaming it gains nothing, and llama-cpp-python's server cannot stream
    an `auto` tool choice (its function-calling handler raises "Automatic streaming tool
    choice is not supported" after the response has begun: an empty stream)."""
    if not tools or not calls_tools:
        return model
    # Always said, "auto" when the request gave none (OpenAI's default with tools):
    # llama-cpp-python's server takes a missing tool_choice as "none" and ignores the tools.
    options: dict[str, Any] = {"tool_choice": "auto" if choice is None else choice}
    if parallel is not None and parallel_supported:
        options["parallel_tool_calls"] = parallel
    if whole:
        options["stream"] = False
    return model.bind_tools([dict(tool) for tool in tools], **options)


def has_tool_calls(message: BaseMessage | None) -> bool:
    return isinstance(message, AIMessage) and bool(message.tool_calls or message.invalid_tool_calls)


def called_tools(message: BaseMessage | None) -> list[str] | None:
    """The names of the tools an answer calls, for the trace; None for a text answer."""
    if not isinstance(message, AIMessage) or not message.tool_calls:
        return None
    return [str(call["name"]) for call in message.tool_calls]
