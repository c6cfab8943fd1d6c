"""`tools:<script>` chat models that answer with tool calls, for the tool-calling unit tests.

    provider = ToolScriptProvider()    # register it: PROVIDERS["tools"] = provider
    provider.bound                     # (script, tools, options) of every bind_tools
    provider.seen                      # (script, messages, tools) of every call

Scripts: calls (a valid get_weather call), unknown_tool, bad_args, text, and agent (a call,
then text once the conversation ends with a tool result). Streaming sends a
call's arguments in two chunks, as OpenAI does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from asymroute.providers.base import ModelOptions
from asymroute.settings import Settings

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
QUESTION = "What is the weather in Paris?"


def weather_call(name: str = "get_weather", args: Any = None) -> AIMessage:
    return AIMessage(
        "",
        tool_calls=[
            {"name": name, "args": {"city": "Paris"} if args is None else args, "id": "c1"}
        ],
        response_metadata={"finish_reason": "tool_calls"},
    )


REPLIES: dict[str, Callable[[], AIMessage]] = {
    "calls": weather_call,
    "unknown_tool": lambda: weather_call("get_time"),
    "bad_args": lambda: weather_call(args={"town": 3}),
    "text": lambda: AIMessage("It is sunny.", response_metadata={"finish_reason": "stop"}),
}


class ToolScriptModel(BaseChatModel):
    script: str
    provider: Any = None

    @property
    def _llm_type(self) -> str:
        return "tool-script"

    def bind_tools(self, tools: Sequence[Any], **options: Any) -> Any:
        self.provider.bound.append((self.script, list(tools), options))
        return self.bind(tools=list(tools), **options)

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        self.provider.seen.append((self.script, list(messages), kwargs.get("tools")))
        script = self.script
        if script == "agent":
            script = "text" if messages[-1].type == "tool" else "calls"
        return ChatResult(generations=[ChatGeneration(message=REPLIES[script]())])

    def _stream(
        self, messages: list[BaseMessage], *args: Any, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        self.provider.seen.append((self.script, list(messages), kwargs.get("tools")))
        reply = REPLIES[self.script]()
        if reply.content:
            yield ChatGenerationChunk(message=AIMessageChunk(content=reply.content))
        for index, call in enumerate(reply.tool_calls):
            arguments = json.dumps(call["args"])
            half = len(arguments) // 2
            first = {"name": call["name"], "args": arguments[:half], "id": call["id"]}
            pieces = [first, {"name": None, "args": arguments[half:], "id": None}]
            for piece in pieces:
                chunk = AIMessageChunk(
                    content="",
                    tool_call_chunks=[{**piece, "index": index, "type": "tool_call_chunk"}],
                )
                yield ChatGenerationChunk(message=chunk)
        finish = AIMessageChunk(content="", response_metadata=dict(reply.response_metadata))
        yield ChatGenerationChunk(message=finish)


@dataclass
class ToolScriptProvider:
    name: str = "tools"
    example: str = "tools:calls"
    calls_tools: bool = True
    bound: list[Any] = field(default_factory=list)
    seen: list[Any] = field(default_factory=list)

    def is_configured(self, settings: Settings) -> bool:
        return True

    def create(self, model: str, settings: Settings, options: ModelOptions) -> BaseChatModel:
        return ToolScriptModel(script=model, provider=self)
