"""The `fake:<script>` model provider of the unit tests: scripted replies, no network.

    provider = FakeProvider()    # register it: PROVIDERS["fake"] = provider
    context = RouterContext(local_model="fake:good", frontier_model="fake:frontier")
    provider.created_models      # ["good", "frontier"] once a graph built them
    provider.seen                # (model, messages) of every call

Registered per test by the `fake_provider` fixture of tests/unit/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatResult

from asymroute.providers.base import ModelOptions
from asymroute.settings import Settings

SIMPLE_PROMPT = "What is 2+3?"
GOOD_ANSWER = "The answer is 5."
FRONTIER_ANSWER = "Frontier: the answer is 5."
REFUSAL = "I'm sorry, but I can't help with that."
PLACE_JSON = '{"city": "Paris", "country": "France"}'
FRONTIER_USAGE = UsageMetadata(input_tokens=1000, output_tokens=500, total_tokens=1500)


def _reply(model: str) -> AIMessage | None:
    """The scripted reply of each fake model; None means the model has no script."""
    replies: dict[str, Callable[[], AIMessage]] = {
        "good": lambda: AIMessage(GOOD_ANSWER, response_metadata={"finish_reason": "stop"}),
        "frontier": lambda: AIMessage(
            FRONTIER_ANSWER,
            usage_metadata=FRONTIER_USAGE,
            response_metadata={"finish_reason": "stop"},
        ),
        "empty": lambda: AIMessage(""),
        "refusal": lambda: AIMessage(REFUSAL),
        "truncated": lambda: AIMessage(
            "The answer is", response_metadata={"finish_reason": "length"}
        ),
        # JSON mode: a local model that fences its JSON, and a frontier that answers bare JSON.
        "fenced_json": lambda: AIMessage(
            f"```json\n{PLACE_JSON}\n```", response_metadata={"finish_reason": "stop"}
        ),
        "json": lambda: AIMessage(
            PLACE_JSON, usage_metadata=FRONTIER_USAGE, response_metadata={"finish_reason": "stop"}
        ),
    }
    return replies[model]() if model in replies else None


class RecordingFakeChatModel(GenericFakeChatModel):
    """GenericFakeChatModel that also tells its provider which messages it was sent."""

    recorder: Any = None
    label: str = ""

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.recorder.seen.append((self.label, list(messages)))
        return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)


class FailingChatModel(BaseChatModel):
    """A chat model whose endpoint is down."""

    recorder: Any = None
    label: str = ""

    @property
    def _llm_type(self) -> str:
        return "failing-fake"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.recorder.seen.append((self.label, list(messages)))
        raise ConnectionError("connection refused by fake endpoint")


@dataclass
class FakeProvider:
    """`fake:<script>` models: good, frontier, empty, refusal, truncated, fenced_json, json,
    down (raises)."""

    name: str = "fake"
    example: str = "fake:good"
    configured: bool = True
    created: list[tuple[str, ModelOptions]] = field(default_factory=list)
    seen: list[tuple[str, list[BaseMessage]]] = field(default_factory=list)

    def is_configured(self, settings: Settings) -> bool:
        return self.configured

    def create(self, model: str, settings: Settings, options: ModelOptions) -> BaseChatModel:
        self.created.append((model, options))
        if model == "down":
            return FailingChatModel(recorder=self, label=model)
        reply = _reply(model)
        if reply is None:
            raise AssertionError(f"the fake provider has no script for model {model!r}")
        # A model is built once per plan and then answers every call with its script; a fresh
        # message each time, as a real model gives, so replies never share a message id.
        replies = (_reply(model) for _ in count())
        return RecordingFakeChatModel(messages=replies, recorder=self, label=model)

    @staticmethod
    def text(model: str) -> str:
        """What `fake:<model>` answers."""
        reply = _reply(model)
        assert reply is not None, model
        return str(reply.content)

    @property
    def created_models(self) -> list[str]:
        return [model for model, _ in self.created]
