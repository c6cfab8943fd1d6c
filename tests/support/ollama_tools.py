"""Tool calls for the Ollama test server, answered by the real model as Ollama answers them.

Ollama's /api/chat takes `tools` (OpenAI function tools) and answers a call as
`message.tool_calls: [{"function": {"name": ..., "arguments": {...}}}]`, arguments an object,
`content` empty (Ollama 0.6's shape, the version the test server reports; langchain-ollama and
the `ollama` client parse it, and give each call an id of their own). Ollama has no
`tool_choice`: the model decides. Streamed, the calls arrive in one chunk before the final one.

The model decides and writes its call under the embedded tier's grammars
(`asymroute.providers.llamacpp_tools`: pick `message` or a function, then arguments under the
tool's JSON Schema), so a call always names an offered tool and parses.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

import llama_cpp
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from asymroute.providers.llamacpp_tools import chat_messages, complete_with_tools, raw_tool_calls
from asymroute.tool_calls import ToolDefinitionError, openai_tools


class ToolRequestError(ValueError):
    """A request's tools or tool messages Ollama would refuse (a 400)."""


def conversation(raw: Sequence[Mapping[str, Any]]) -> list[BaseMessage]:
    """Ollama chat messages as LangChain messages, assistant calls and tool results kept.

    A tool message names its tool (`tool_name`) or, as langchain-ollama sends it, the call it
    answers (`tool_call_id`); the ids of calls that carry none are made up here in order."""
    messages: list[BaseMessage] = []
    for index, message in enumerate(raw):
        role, content = message.get("role"), str(message.get("content") or "")
        if role == "assistant":
            calls = [
                {
                    "name": str(call["function"]["name"]),
                    "args": _arguments(call["function"].get("arguments")),
                    "id": str(call.get("id") or f"call_{index}_{number}"),
                }
                for number, call in enumerate(message.get("tool_calls") or [])
            ]
            messages.append(AIMessage(content, tool_calls=calls))
        elif role == "tool":
            call_id = str(message.get("tool_call_id") or "")
            name = message.get("tool_name")
            messages.append(ToolMessage(content, tool_call_id=call_id, name=name))
        elif role == "system":
            messages.append(SystemMessage(content))
        else:
            messages.append(HumanMessage(content))
    return messages


def _arguments(arguments: Any) -> dict[str, Any]:
    if isinstance(arguments, str):  # some clients send the OpenAI form, a JSON string
        arguments = json.loads(arguments or "{}")
    if not isinstance(arguments, Mapping):
        raise ToolRequestError("tool_calls[].function.arguments must be an object")
    return dict(arguments)


def tool_answer(
    llm: llama_cpp.Llama, raw: Sequence[Mapping[str, Any]], tools: Any, sampling: dict[str, Any]
) -> dict[str, Any]:
    """The assistant message of an /api/chat reply offered `tools`: text or tool calls."""
    try:
        offered = openai_tools(tools)
        chat = chat_messages(conversation(raw))
    except (ToolDefinitionError, KeyError, TypeError, ValueError) as exc:
        raise ToolRequestError(f"invalid tools or tool messages: {exc}") from exc
    options = {k: v for k, v in sampling.items() if k != "response_format"}
    create = functools.partial(llm.create_chat_completion, **options)
    completion = complete_with_tools(
        create, llama_cpp.LlamaGrammar.from_string, chat, offered, tool_choice=None
    )
    message = completion["choices"][0]["message"]
    calls = [
        {"function": {"name": function["name"], "arguments": _arguments(function["arguments"])}}
        for function in (call["function"] for call in raw_tool_calls(message))
    ]
    if calls:
        return {"role": "assistant", "content": "", "tool_calls": calls}
    return {"role": "assistant", "content": str(message.get("content") or "")}
