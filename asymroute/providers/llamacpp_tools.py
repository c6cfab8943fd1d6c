"""Tool calls on the embedded llama.cpp model, constrained by grammars.

llama-cpp-python's chat handlers honour a tool only when `tool_choice` names it (a grammar
built from the tool's JSON Schema); its `chatml-function-calling` handler, which also chooses,
constrains the text answer to a function name or end-of-turn, so a model choosing to answer in
text writes nothing. Here the choice is its own step: the model is shown the tools and, under a
grammar allowing only `message` or `functions.<name>`, picks one (a handful of tokens); a tool
is then called under the tool's schema grammar (llama-cpp-python's own path), a message is
written as a plain completion. One tool call per answer (no parallel calls).

Once the conversation ends with a tool result, the model answers in text unless `tool_choice`
requires a call: SmolLM2-135M picked a function at every step in our probes, the step after a
result included, which would loop an agent until its recursion limit.

The GGUF's chat template renders every message as text (SmolLM2's concatenates `content`), so
an assistant tool call and a tool result are written out as text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from asymroute.requests import content_text
from asymroute.tool_calls import forced_tool, requires_tool_call, tool_names

ROLE_BY_MESSAGE_TYPE = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}
MESSAGE_CHOICE = "message"
CHOICE_MAX_TOKENS = 48

CreateChat = Callable[..., Any]
"""`Llama.create_chat_completion` with the call's common options (limits, processors) bound."""


def chat_messages(messages: Sequence[BaseMessage]) -> list[dict[str, str]]:
    """The conversation as llama.cpp chat messages, tool calls and results as text.

    A tool result always names its tool ("Result of get_weather: ..."), found from the call it
    answers when the message carries no name: with the bare result after a call written as
    text, SmolLM2 repeated the call as its answer instead of answering.
    """
    called = {
        str(call["id"]): call["name"]
        for m in messages
        if isinstance(m, AIMessage)
        for call in m.tool_calls
        if call.get("id")
    }
    return [
        {"role": ROLE_BY_MESSAGE_TYPE.get(m.type, "user"), "content": _message_text(m, called)}
        for m in messages
    ]


def _message_text(message: BaseMessage, called: Mapping[str, str]) -> str:
    text = content_text(message)
    if isinstance(message, AIMessage) and message.tool_calls:
        calls = "\n".join(
            f"functions.{call['name']}:\n{json.dumps(call['args'])}" for call in message.tool_calls
        )
        return f"{text}\n{calls}".strip()
    if isinstance(message, ToolMessage):
        name = message.name or called.get(message.tool_call_id) or "the tool"
        return f"Result of {name}: {text}"
    return text


def tool_instructions(tools: Sequence[Mapping[str, Any]]) -> str:
    lines = ["You have access to the following functions:"]
    for tool in tools:
        function = tool["function"]
        description = f" ({function['description']})" if function.get("description") else ""
        lines.append(
            f"functions.{function['name']}{description}:\n{json.dumps(function['parameters'])}"
        )
    lines.append(
        "Reply with 'message' to answer the user in text, or with 'functions.<name>' to call "
        "a function; after a function's result, answer in text."
    )
    return "\n".join(lines)


def with_tool_instructions(
    chat: list[dict[str, str]], tools: Sequence[Mapping[str, Any]]
) -> list[dict[str, str]]:
    instructions = tool_instructions(tools)
    if chat and chat[0]["role"] == "system":
        return [{"role": "system", "content": f"{chat[0]['content']}\n\n{instructions}"}, *chat[1:]]
    return [{"role": "system", "content": instructions}, *chat]


def choice_grammar(names: Sequence[str], allow_message: bool) -> str:
    """GBNF allowing only `message` (when allowed) or `functions.<one of the names>`."""
    options = [json.dumps(f"functions.{name}") for name in names]
    if allow_message:
        options.insert(0, json.dumps(MESSAGE_CHOICE))
    return "root ::= " + " | ".join(options)


def complete_with_tools(
    create: CreateChat,
    grammar_from_string: Callable[[str], Any],
    chat: list[dict[str, str]],
    tools: Sequence[Mapping[str, Any]],
    tool_choice: Any,
) -> Any:
    """An OpenAI-shaped chat completion: a text answer or one tool call."""
    required = requires_tool_call(tool_choice)
    after_result = bool(chat) and chat[-1]["role"] == "tool"
    if not tools or tool_choice == "none" or (after_result and not required):
        return create(messages=chat)
    offered = with_tool_instructions(chat, tools)
    name = forced_tool(tool_choice)
    if name is None:
        grammar = choice_grammar(tool_names(tools), allow_message=not required)
        picked = create(
            messages=offered,
            grammar=grammar_from_string(grammar),
            max_tokens=CHOICE_MAX_TOKENS,
            temperature=0.0,
        )
        choice = str(picked["choices"][0]["message"].get("content") or "").strip()
        if not choice.startswith("functions."):
            return create(messages=chat)
        name = choice.removeprefix("functions.")
    # llama-cpp-python's own path for a named tool: a grammar from the tool's JSON Schema.
    forced = {"type": "function", "function": {"name": name}}
    return create(messages=offered, tools=list(tools), tool_choice=forced)


def raw_tool_calls(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The OpenAI tool calls of a llama.cpp chat message (it also adds a legacy function_call)."""
    return [dict(call) for call in message.get("tool_calls") or []]
