"""The embedded model's tool calls: the choice step, the grammar, and the conversation as text."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from asymroute.providers.llamacpp_chat import _chat_result
from asymroute.providers.llamacpp_tools import chat_messages, choice_grammar, complete_with_tools

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


class ScriptedLlama:
    """Stands in for `create_chat_completion`: records each call, answers from a script."""

    def __init__(self, *contents: str) -> None:
        self.contents = list(contents)
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {"choices": [{"message": {"content": self.contents.pop(0)}}]}


def grammar(text: str) -> str:
    return f"grammar<{text}>"


def test_the_choice_grammar_allows_a_message_only_when_no_call_is_required() -> None:
    assert choice_grammar(["a", "b"], True) == 'root ::= "message" | "functions.a" | "functions.b"'
    assert choice_grammar(["a"], False) == 'root ::= "functions.a"'


def test_a_chosen_tool_is_called_under_its_schema() -> None:
    create = ScriptedLlama("functions.get_weather", "{}")
    chat = [{"role": "user", "content": "Weather in Paris?"}]
    complete_with_tools(create, grammar, chat, [WEATHER], None)
    choose, called = create.calls
    assert choose["grammar"] == 'grammar<root ::= "message" | "functions.get_weather">'
    assert choose["messages"][0]["role"] == "system"
    assert "functions.get_weather" in choose["messages"][0]["content"]
    assert called["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert called["tools"] == [WEATHER]


def test_a_chosen_message_is_written_without_the_tool_prompt() -> None:
    create = ScriptedLlama("message", "It is sunny.")
    chat = [{"role": "user", "content": "Hi"}]
    assert complete_with_tools(create, grammar, chat, [WEATHER], "auto")
    assert create.calls[1] == {"messages": chat}


def test_after_a_tool_result_the_model_answers_in_text_unless_a_call_is_required() -> None:
    chat = [{"role": "user", "content": "Weather?"}, {"role": "tool", "content": "sunny"}]
    create = ScriptedLlama("It is sunny.")
    complete_with_tools(create, grammar, chat, [WEATHER], "auto")
    assert create.calls == [{"messages": chat}]
    create = ScriptedLlama("functions.get_weather", "{}")
    complete_with_tools(create, grammar, chat, [WEATHER], "required")
    assert create.calls[0]["grammar"] == 'grammar<root ::= "functions.get_weather">'
    assert [call.get("tool_choice") for call in create.calls][-1] == {
        "type": "function",
        "function": {"name": "get_weather"},
    }


def test_tool_calls_and_results_are_written_as_text_for_the_template() -> None:
    messages = [
        SystemMessage("Be brief."),
        HumanMessage("Weather in Paris?"),
        AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "c1"}]),
        ToolMessage("18C", tool_call_id="c1", name="get_weather"),
        ToolMessage("18C", tool_call_id="c1"),  # no name: the call it answers names the tool
    ]
    assert chat_messages(messages) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": 'functions.get_weather:\n{"city": "Paris"}'},
        {"role": "tool", "content": "Result of get_weather: 18C"},
        {"role": "tool", "content": "Result of get_weather: 18C"},
    ]


def test_llama_cpp_tool_calls_become_langchain_tool_calls() -> None:
    completion = {
        "choices": [
            {
                "finish_reason": "tool_calls",
                "message": {
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                        },
                        {"id": "c2", "function": {"name": "get_weather", "arguments": "{city"}},
                    ],
                },
            }
        ]
    }
    message = _chat_result(completion, "smollm2", None).generations[0].message
    assert isinstance(message, AIMessage)
    assert message.tool_calls == [
        {"name": "get_weather", "args": {"city": "Oslo"}, "id": "c1", "type": "tool_call"}
    ]
    assert [call["args"] for call in message.invalid_tool_calls] == ["{city"]
    assert message.response_metadata["finish_reason"] == "tool_calls"
