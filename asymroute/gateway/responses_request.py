"""The Responses API request (`POST /v1/responses`), read as the chat request it amounts to.

Clients built on OpenAI's Responses API (the Agents SDK's default model, `ChatOpenAI` with
`use_responses_api=True`, `client.responses.create`) send `input` items and flat function tools.
Each item becomes the chat message it stands for, so both endpoints share one parser, one router
run and every check: a fault is a 400 naming the Responses field (`input[2].content[0]`), never
the chat field it was translated to.

- `instructions` is a system message before the input.
- Consecutive `function_call` items (parallel calls) are one assistant message with several
  tool calls, after that assistant's text when it wrote any; `function_call_output` items are
  tool messages.
- `reasoning` items are dropped: they hold another model's private reasoning, which no tier
  here can read.
- The gateway stores nothing: `previous_response_id`, `conversation` and `item_reference` are
  refused with a 400 saying to send the whole conversation in `input`. `store` is accepted
  either way and changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any

from asymroute.gateway.errors import GatewayError, invalid, unsupported
from asymroute.gateway.schemas import ChatRequest, RequestFields, parse_chat_request

PASSED_ON = ("model", "stream", "temperature", "top_p", "parallel_tool_calls")
INFORMATIONAL = (
    "metadata", "user", "safety_identifier", "prompt_cache_key", "prompt_cache_retention",
)  # fmt: skip
NO_OP_VALUES: dict[str, tuple[Any, ...]] = {"background": (False,), "truncation": ("disabled",)}
NOT_STORED = "the asymroute gateway stores no responses; send the whole conversation in 'input'"
UNSUPPORTED = {
    "previous_response_id": NOT_STORED,
    "conversation": NOT_STORED,
    "prompt": "stored prompt templates; send the prompt's text in 'input'",
    "max_tool_calls": "",
    "service_tier": "",
    "context_management": "",
}
RESPONSES_REQUEST_FIELDS = RequestFields(
    handled=(*PASSED_ON, "input", "instructions", "max_output_tokens", "tools", "tool_choice",
             "text", "include", "top_logprobs", "store", "stream_options", "reasoning"),
    informational=INFORMATIONAL,
    no_op_values=NO_OP_VALUES,
    unsupported=UNSUPPORTED,
)  # fmt: skip
LOGPROBS = "message.output_text.logprobs"
HARMLESS_INCLUDES = ("reasoning.encrypted_content", "message.input_image.image_url")
"""`include` values that ask for nothing this gateway returns (it makes no reasoning items and
echoes no input), accepted so that clients sending them by default work."""
ROLES = ("user", "system", "developer", "assistant")
# Responses content part -> (chat part type, field it carries); files by id need OpenAI's store.
PARTS = {"input_image": "image_url", "input_file": "file", "input_audio": "input_audio"}
CHAT_FIELDS = {
    "max_tokens": "max_output_tokens",
    "reasoning_effort": "reasoning.effort",
    "response_format": "text.format",
    "top_logprobs": "top_logprobs",
}


@dataclass(frozen=True)
class ResponsesRequest(ChatRequest):
    """A chat request that came as a Responses request; `echo` is what a Response repeats of
    it (instructions, tools and settings, in the Responses API's own form)."""

    echo: dict[str, Any] = field(default_factory=dict)


def parse_responses_request(data: dict[str, Any], max_messages: int) -> ResponsesRequest:
    _check_parameters(data)
    logprobs = _include(data.get("include"))
    messages, origins = _messages(data)
    chat: dict[str, Any] = {name: data[name] for name in PASSED_ON if data.get(name) is not None}
    chat["messages"] = messages
    if data.get("max_output_tokens") is not None:
        chat["max_tokens"] = data["max_output_tokens"]
    if data.get("tools") is not None:
        chat["tools"] = _tools(data["tools"])
    if data.get("tool_choice") is not None:
        chat["tool_choice"] = _tool_choice(data["tool_choice"])
    if (format_ := _text_format(data.get("text"))) is not None:
        chat["response_format"] = format_
    if logprobs or data.get("top_logprobs"):
        chat["logprobs"] = True
    if data.get("top_logprobs") is not None:
        chat["top_logprobs"] = data["top_logprobs"]
    if (effort := _reasoning_effort(data.get("reasoning"))) is not None:
        chat["reasoning_effort"] = effort
    try:
        request = parse_chat_request(chat, max_messages)
    except GatewayError as exc:
        raise _in_responses_terms(exc, origins) from None
    echo = {
        "instructions": data.get("instructions"),
        "tools": list(data.get("tools") or []),
        "tool_choice": data.get("tool_choice") or "auto",
        "parallel_tool_calls": data.get("parallel_tool_calls") is not False,
        "temperature": data.get("temperature"),
        "top_p": data.get("top_p"),
        "max_output_tokens": data.get("max_output_tokens"),
        "text": {"format": (data.get("text") or {}).get("format") or {"type": "text"}},
        "metadata": data.get("metadata") or {},
        "reasoning": {"effort": chat.get("reasoning_effort"), "summary": None},
        "store": False,  # whatever was asked: nothing is stored
    }
    # A stream ends with the usage (`response.completed`), so the chat stream must carry it.
    given = {f.name: getattr(request, f.name) for f in fields(request)}
    return ResponsesRequest(**(given | {"include_usage": request.stream}), echo=echo)


def _check_parameters(data: dict[str, Any]) -> None:
    RESPONSES_REQUEST_FIELDS.check(data)
    if data.get("store") is not None and not isinstance(data["store"], bool):
        raise invalid("'store' must be true or false", "store")


def _include(value: Any) -> bool:
    """Whether `include` asks for the answer's log-probs; other values must be harmless."""
    if value is None:
        return False
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid("'include' must be an array of strings", "include")
    for item in value:
        if item != LOGPROBS and item not in HARMLESS_INCLUDES:
            raise unsupported(f"include: {item}", "only message.output_text.logprobs is returned")
    return LOGPROBS in value


def _reasoning_effort(reasoning: Any) -> str | None:
    """`reasoning.effort`, as chat's `reasoning_effort`. No reasoning summary is ever returned
    (a tier's reasoning stays inside it), so only `summary: "auto"`, which lets the model
    decide, is accepted besides none."""
    if reasoning is None:
        return None
    if not isinstance(reasoning, dict):
        raise invalid('\'reasoning\' must be an object like {"effort": "low"}', "reasoning")
    for name in ("summary", "generate_summary"):
        if reasoning.get(name) not in (None, "auto"):
            raise unsupported(f"reasoning.{name}", "no reasoning summaries are returned")
    return reasoning.get("effort")  # its values are checked by the chat parser


def _messages(data: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The chat messages, and for each the Responses field it came from."""
    messages: list[dict[str, Any]] = []
    origins: list[str] = []
    instructions = data.get("instructions")
    if instructions is not None:
        if not isinstance(instructions, str):
            raise invalid("'instructions' must be a string", "instructions")
        messages.append({"role": "system", "content": instructions})
        origins.append("instructions")
    items = data.get("input")
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    if not isinstance(items, list) or not items:
        raise invalid("'input' must be a string or a non-empty array of input items", "input")
    for index, item in enumerate(items):
        param = f"input[{index}]"
        if not isinstance(item, dict):
            raise invalid(f"{param} must be an input item object", param)
        kind = item.get("type", "message")
        if kind == "message":
            messages.append(_message(param, item))
            origins.append(param)
        elif kind == "function_call":
            call = _function_call(param, item)
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant":
                last.setdefault("tool_calls", []).append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
                origins.append(param)
        elif kind == "function_call_output":
            messages.append(_function_output(param, item))
            origins.append(param)
        elif kind == "reasoning":
            continue  # another model's private reasoning: nothing a tier here can read
        elif kind == "item_reference":
            raise unsupported(f"{param}.type", f"item references; {NOT_STORED}")
        else:
            raise unsupported(f"{param}.type", f"{kind!r} items (only messages and function calls)")
    return messages, origins


def _message(param: str, item: dict[str, Any]) -> dict[str, Any]:
    role = item.get("role")
    if role not in ROLES:
        raise invalid(f"{param}.role must be one of {', '.join(ROLES)}, got {role!r}", param)
    content = item.get("content")
    if isinstance(content, list):
        content = [_part(f"{param}.content[{j}]", part) for j, part in enumerate(content)]
    return {"role": role, "content": content}


def _part(param: str, part: Any) -> dict[str, Any]:
    kind = part.get("type") if isinstance(part, dict) else type(part).__name__
    kind = kind if isinstance(kind, str) else repr(kind)
    if kind in ("input_text", "output_text", "text"):
        return {"type": "text", "text": part.get("text")}
    if kind == "refusal":
        return {"type": "text", "text": part.get("refusal")}
    if kind not in PARTS:
        raise GatewayError(
            400,
            f"{param} is a {kind!r} part; input messages may hold input_text, input_image, "
            "input_file and input_audio parts",
            param=param,
            code="unsupported_content",
        )
    if part.get("file_id"):
        raise unsupported(f"{param}.file_id", "files by id (no file store); send the data")
    if kind == "input_image":
        url = part.get("image_url")
        image = {"url": url} | ({"detail": part["detail"]} if part.get("detail") else {})
        return {"type": "image_url", "image_url": image}
    if kind == "input_file":
        if part.get("file_url"):
            raise unsupported(f"{param}.file_url", "send the file's data in 'file_data'")
        payload = {k: part[k] for k in ("file_data", "filename") if part.get(k) is not None}
        return {"type": "file", "file": payload}
    return {"type": "input_audio", "input_audio": part.get("input_audio")}


def _function_call(param: str, item: dict[str, Any]) -> dict[str, Any]:
    call_id, name = item.get("call_id"), item.get("name")
    if not isinstance(call_id, str) or not call_id or not isinstance(name, str) or not name:
        raise invalid(f"{param} is a function_call and needs a string 'call_id' and 'name'", param)
    arguments = item.get("arguments", "{}")
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _function_output(param: str, item: dict[str, Any]) -> dict[str, Any]:
    call_id, output = item.get("call_id"), item.get("output")
    if not isinstance(call_id, str) or not call_id:
        raise invalid(f"{param}.call_id is required for a function_call_output", f"{param}.call_id")
    if isinstance(output, list):  # text parts only: a tool message holds text
        output = [_part(f"{param}.output[{j}]", part) for j, part in enumerate(output)]
    elif not isinstance(output, str):
        raise invalid(
            f"{param}.output must be a string or an array of content parts", f"{param}.output"
        )
    return {"role": "tool", "tool_call_id": call_id, "content": output}


def _tools(tools: Any) -> Any:
    """Flat function tools -> chat tools; hosted tools (web search, files...) are refused."""
    if not isinstance(tools, list):
        return tools  # the chat parser says what is wrong
    converted = []
    for index, tool in enumerate(tools):
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind != "function":
            raise unsupported(f"tools[{index}]", f"{kind!r} tools (only function tools)")
        keys = ("name", "description", "parameters", "strict")
        function = {k: tool[k] for k in keys if k in tool}
        converted.append({"type": "function", "function": function})
    return converted


def _tool_choice(choice: Any) -> Any:
    if isinstance(choice, dict) and choice.get("type") == "function":
        return {"type": "function", "function": {"name": choice.get("name")}}
    if isinstance(choice, dict):
        raise unsupported("tool_choice", f"{choice.get('type')!r} (only auto, none, required "
                          'or {"type": "function", "name": ...})')  # fmt: skip
    return choice


def _text_format(text: Any) -> dict[str, Any] | None:
    """`text.format` as the chat request's `response_format` (None for plain text)."""
    if text is None:
        return None
    if not isinstance(text, dict):
        raise invalid('\'text\' must be an object like {"format": {"type": "text"}}', "text")
    if text.get("verbosity") is not None:
        raise unsupported("text.verbosity")
    format_ = text.get("format")
    if format_ is None:
        return None
    kind = format_.get("type") if isinstance(format_, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return {"type": "json_object"}
    if kind != "json_schema":
        raise invalid(
            "'text.format' must be an object whose type is text, json_object or json_schema",
            "text.format",
        )
    if not isinstance(format_.get("schema"), dict):
        raise invalid("'text.format' of type json_schema needs a 'schema' object", "text.format")
    schema = {k: format_[k] for k in ("name", "schema", "strict", "description") if k in format_}
    return {"type": "json_schema", "json_schema": schema}


def _in_responses_terms(exc: GatewayError, origins: list[str]) -> GatewayError:
    """The chat parser's error, naming the Responses field the faulty value came from."""

    def rename(text: str) -> str:
        text = re.sub(r"messages\[(\d+)\]", lambda m: origins[int(m.group(1))], text)
        for chat, responses in CHAT_FIELDS.items():
            text = re.sub(rf"'{chat}'", f"'{responses}'", text)
        return text.replace("'messages'", "'input'")

    param = exc.param and rename(f"'{exc.param}'").strip("'")
    return replace_error(exc, rename(exc.message), param)


def replace_error(exc: GatewayError, message: str, param: str | None) -> GatewayError:
    return GatewayError(
        exc.status, message, type=exc.type, param=param, code=exc.code, headers=exc.headers
    )


__all__ = ["ResponsesRequest", "parse_responses_request"]
