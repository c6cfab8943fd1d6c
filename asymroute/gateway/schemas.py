"""The chat-completion request body, checked field by field with OpenAI-style 400s."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from asymroute.errors import ConfigurationError
from asymroute.gateway.errors import GatewayError, invalid, unsupported
from asymroute.gateway.tool_messages import (
    assistant_message,
    check_tool_results,
    tool_fields,
    tool_message,
)
from asymroute.providers.sampling import SAMPLING_PARAMETERS, Sampling, check_sampling
from asymroute.text_checks import SURROGATE_ESCAPE, find_lone_surrogate, surrogate_message

MESSAGE_TYPES = {
    "system": SystemMessage,
    "developer": SystemMessage,
    "user": HumanMessage,
    "assistant": AIMessage,
    "tool": ToolMessage,
}
MAX_STOP_SEQUENCES = 4
MAX_OUTPUT_TOKENS = 1_000_000
"""Largest `max_tokens` accepted: above every model's output window, far below what an upstream
or llama.cpp could be asked to allocate for. A larger value is a 400, never forwarded."""
DEFAULT_MAX_MESSAGES = 1_000
RESPONSE_FORMAT_TYPES = ("text", "json_object", "json_schema")

# Accepted only at their no-op value: anything else would change the answer, unhonoured.
NO_OP_VALUES: dict[str, tuple[Any, ...]] = {
    "store": (False,),
}
# Not generation parameters: accepted, and do not change the answer.
INFORMATIONAL = ("user", "metadata")
UNSUPPORTED = (
    "functions", "function_call", "audio", "modalities", "prediction",
    "service_tier", "web_search_options", "verbosity",
)  # fmt: skip
HANDLED = (
    "model", "messages", "stream", "stream_options", "temperature", "max_tokens",
    "max_completion_tokens", "stop", "response_format", *SAMPLING_PARAMETERS,
    "tools", "tool_choice", "parallel_tool_calls",
)  # fmt: skip


@dataclass(frozen=True)
class RequestFields:
    """The top-level fields an API's request may carry, and what becomes of the others."""

    handled: tuple[str, ...]
    informational: tuple[str, ...]
    """Not generation parameters: accepted, and they do not change the answer."""
    no_op_values: Mapping[str, tuple[Any, ...]]
    """Accepted only at these values: anything else would change the answer, unhonoured."""
    unsupported: Mapping[str, str]
    """Refused by name, each with why ("" when the name says it)."""

    def check(self, data: Mapping[str, Any]) -> None:
        """A 400 naming the first field that is unsupported, at a value that is not its no-op
        one, or unknown; a null value is never a fault."""
        for name, value in data.items():
            if name in self.handled or name in self.informational or value is None:
                continue
            if name in self.no_op_values:
                allowed = self.no_op_values[name]
                if isinstance(value, bool) is isinstance(allowed[0], bool) and value in allowed:
                    continue
                raise unsupported(name, f"only {allowed[0]!r} is accepted")
            if name in self.unsupported:
                raise unsupported(name, self.unsupported[name])
            raise invalid(f"unrecognized request argument supplied: {name}", name)


CHAT_REQUEST_FIELDS = RequestFields(
    HANDLED, INFORMATIONAL, NO_OP_VALUES, dict.fromkeys(UNSUPPORTED, "")
)
# Non-text content parts, each with the object it must carry (`asymroute.sampling` says
# which models read them).
CONTENT_PART_OBJECTS = {"image_url": "url", "input_audio": "data", "file": None}


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: list[BaseMessage]
    stream: bool = False
    include_usage: bool = False
    temperature: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    response_format: dict[str, Any] | None = None
    sampling: Sampling = field(default_factory=Sampling)
    tools: tuple[dict[str, Any], ...] = ()
    tool_choice: Any = None
    parallel_tool_calls: bool | None = None


def parse_json_body(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except RecursionError as exc:
        raise invalid("the request body is nested too deeply; send a flatter JSON object") from exc
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an integer of 4,300+ digits
        if "integer string conversion" in str(exc):
            raise invalid("the request body has a number with thousands of digits") from exc
        raise invalid(f"the request body is not valid JSON ({exc}); send a JSON object") from exc
    if not isinstance(data, dict):
        raise invalid(f"the request body must be a JSON object, got {type(data).__name__}")
    if SURROGATE_ESCAPE.search(body) and (found := find_lone_surrogate(data)) is not None:
        raise invalid(surrogate_message(*found), found[0], code="invalid_text")
    return data


def parse_chat_request(
    data: dict[str, Any], max_messages: int = DEFAULT_MAX_MESSAGES
) -> ChatRequest:
    CHAT_REQUEST_FIELDS.check(data)
    model = data.get("model")
    if not isinstance(model, str) or not model:
        raise invalid("'model' is required and must be a string, e.g. 'asymroute'", "model")
    stream = _optional(data, "stream", bool) or False
    tools, tool_choice, parallel_tool_calls = tool_fields(data)
    return ChatRequest(
        model=model,
        messages=_messages(data.get("messages"), max_messages),
        stream=stream,
        include_usage=_include_usage(data.get("stream_options"), stream),
        temperature=_temperature(data.get("temperature")),
        max_tokens=_max_tokens(data),
        stop=_stop(data.get("stop")),
        response_format=_response_format(data.get("response_format")),
        sampling=_sampling(data),
        tools=tools,
        tool_choice=tool_choice,
        parallel_tool_calls=parallel_tool_calls,
    )


def _sampling(data: dict[str, Any]) -> Sampling:
    """n, seed, top_p, penalties, logprobs, top_logprobs, logit_bias; ranges as OpenAI's."""
    given = {name: data[name] for name in SAMPLING_PARAMETERS if data.get(name) is not None}
    sampling = Sampling(**given)
    try:
        check_sampling(sampling)
    except ConfigurationError as exc:
        param = str(exc).split(" ", 1)[0]
        raise invalid(f"'{param}' {str(exc).split(' ', 1)[1]}", param) from exc
    return sampling


def _optional(data: dict[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if value is not None and not isinstance(value, kind):
        raise invalid(f"'{name}' must be a {kind.__name__}, got {type(value).__name__}", name)
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _temperature(value: Any) -> float | None:
    if value is None:
        return None
    if not _is_number(value) or not 0 <= value <= 2:
        raise invalid(f"'temperature' must be a number from 0 to 2, got {value!r}", "temperature")
    return float(value)


def _max_tokens(data: dict[str, Any]) -> int | None:
    for name in ("max_completion_tokens", "max_tokens"):
        value = data.get(name)
        if value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 1 <= value <= MAX_OUTPUT_TOKENS
        ):
            shown = repr(value) if len(repr(value)) < 40 else f"{repr(value)[:20]}..."
            raise invalid(
                f"'{name}' must be a positive integer up to {MAX_OUTPUT_TOKENS:,}, got {shown}",
                name,
            )
        return value
    return None


def _stop(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    stops = [value] if isinstance(value, str) else value
    if (
        not isinstance(stops, list)
        or not all(isinstance(s, str) and s for s in stops)
        or len(stops) > MAX_STOP_SEQUENCES
    ):
        raise invalid(
            f"'stop' must be a string or a list of up to {MAX_STOP_SEQUENCES} non-empty strings",
            "stop",
        )
    return tuple(stops)


def _include_usage(value: Any, stream: bool) -> bool:
    if value is None:
        return False
    if not stream:
        raise invalid("'stream_options' is only allowed when 'stream' is true", "stream_options")
    if not isinstance(value, dict) or not isinstance(value.get("include_usage", False), bool):
        raise invalid(
            "'stream_options' must be an object like {\"include_usage\": true}", "stream_options"
        )
    return bool(value.get("include_usage", False))


def _response_format(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("type") not in RESPONSE_FORMAT_TYPES:
        raise invalid(
            f"'response_format' must be an object whose type is one of "
            f"{', '.join(RESPONSE_FORMAT_TYPES)}",
            "response_format",
        )
    if value["type"] == "json_schema" and not isinstance(value.get("json_schema"), dict):
        raise invalid(
            "'response_format' of type json_schema needs a 'json_schema' object",
            "response_format",
        )
    return None if value["type"] == "text" else value


def _messages(value: Any, max_messages: int) -> list[BaseMessage]:
    if not isinstance(value, list) or not value:
        raise invalid("'messages' must be a non-empty array of messages", "messages")
    if len(value) > max_messages:
        raise invalid(
            f"'messages' has {len(value):,} messages, over the limit of {max_messages:,}; send "
            "fewer (summarise older turns) or raise ASYMROUTE_GATEWAY_MAX_MESSAGES",
            "messages",
            code="too_many_messages",
        )
    messages = [_message(index, item) for index, item in enumerate(value)]
    check_tool_results(messages)
    return messages


def _message(index: int, item: Any) -> BaseMessage:
    param = f"messages[{index}]"
    if not isinstance(item, dict):
        raise invalid(f"{param} must be an object with 'role' and 'content'", param)
    role = item.get("role")
    if role == "function" or item.get("function_call"):
        raise unsupported(
            f"{param}.role" if role == "function" else f"{param}.function_call",
            "legacy functions; send tools and tool messages",
        )
    if item.get("tool_calls") is not None and role != "assistant":
        raise invalid(f"{param}.tool_calls is only allowed on assistant messages", param)
    if role not in MESSAGE_TYPES:
        raise invalid(
            f"{param}.role must be one of {', '.join(MESSAGE_TYPES)}, got {role!r}",
            f"{param}.role",
        )
    calls_tools = role == "assistant" and bool(item.get("tool_calls"))
    # An assistant turn that only calls tools has null content.
    raw_content = item.get("content")
    if raw_content is None and calls_tools:
        content: Any = ""
    else:
        content = _content(param, raw_content, non_text=role == "user")
    name = item.get("name")
    if name is not None and not isinstance(name, str):
        raise invalid(f"{param}.name must be a string", f"{param}.name")
    if role == "assistant":
        return assistant_message(param, item, content)
    if role == "tool":
        return tool_message(param, item, content)
    return MESSAGE_TYPES[role](content=content, name=name)


def _content(param: str, content: Any, non_text: bool) -> str | list[str | dict[str, Any]]:
    """A string; an array of text parts, joined; or, in a user message, text and non-text
    parts (image_url, input_audio, file) as content blocks in OpenAI's form."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise invalid(
            f"{param}.content must be a string or an array of content parts, "
            f"got {type(content).__name__}",
            f"{param}.content",
        )
    blocks = [_part(f"{param}.content[{j}]", part, non_text) for j, part in enumerate(content)]
    if all(block["type"] == "text" for block in blocks):
        return "".join(block["text"] for block in blocks)
    return list(blocks)


def _part(where: str, part: Any, non_text: bool) -> dict[str, Any]:
    kind = part.get("type") if isinstance(part, dict) else type(part).__name__
    if kind == "text":
        if not isinstance(part.get("text"), str):
            raise invalid(f"{where} is a text part and needs a string 'text'", where)
        return {"type": "text", "text": part["text"]}
    if kind not in CONTENT_PART_OBJECTS or not non_text:
        allowed = "text, " + ", ".join(CONTENT_PART_OBJECTS) if non_text else "text"
        raise GatewayError(
            400,
            f"{where} is a {kind!r} part; this message may hold {allowed} parts",
            param=where,
            code="unsupported_content",
        )
    payload = part.get(kind)
    needed = CONTENT_PART_OBJECTS[kind]
    if not isinstance(payload, dict) or (needed and not isinstance(payload.get(needed), str)):
        detail = f" with a string '{needed}'" if needed else ""
        raise invalid(f"{where} is a {kind} part and needs a '{kind}' object{detail}", where)
    return dict(part)
