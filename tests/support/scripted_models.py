"""Chat models that fail or answer from a script, and a fake clock: for resilience tests.

provider = ScriptedProvider()          # register it: PROVIDERS["scripted"] = provider
provider.script("frontier", StatusError(503), "ok")  # scripted:frontier fails, then answers
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatResult

from asymroute.providers.base import ModelOptions
from asymroute.settings import Settings

Outcome = BaseException | str
NO_USAGE = "<answers without reporting usage>"
"""An outcome: "The answer is 5." with no token counts, as llama.cpp's server streams."""


class StatusError(Exception):
    def __init__(self, status: int, retry_after: str | None = None) -> None:
        super().__init__(f"Error code: {status}")
        self.status_code = status
        headers = {"retry-after": retry_after} if retry_after is not None else {}
        self.response = SimpleNamespace(status_code=status, headers=headers)


class ScriptedChatModel(BaseChatModel):
    """Answers or raises as its tier's script says; "ok" answers, "" answers with no text."""

    script: Any = None
    seen: Any = None

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        self.seen.append(list(messages))
        outcome = self.script.popleft() if self.script else "ok"
        if isinstance(outcome, BaseException):
            raise outcome
        text = "The answer is 5." if outcome in ("ok", NO_USAGE) else outcome
        usage = UsageMetadata(input_tokens=10, output_tokens=5, total_tokens=15)
        message = AIMessage(
            text,
            usage_metadata=None if outcome == NO_USAGE else usage,
            response_metadata={"finish_reason": "stop"},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


@dataclass
class ScriptedProvider:
    """`scripted:local` and `scripted:frontier`, each with its own script of outcomes."""

    name: str = "scripted"
    example: str = "scripted:local"
    scripts: dict[str, deque[Outcome]] = field(default_factory=dict, repr=False)
    seen: dict[str, list[list[BaseMessage]]] = field(default_factory=dict, repr=False)

    def is_configured(self, settings: Settings) -> bool:
        return True

    def create(self, model: str, settings: Settings, options: ModelOptions) -> BaseChatModel:
        assert options.max_retries == 0, "client retries must stay off"
        return ScriptedChatModel(
            script=self.scripts.setdefault(model, deque()),
            seen=self.seen.setdefault(model, []),
        )

    def script(self, model: str, *outcomes: Outcome) -> None:
        self.scripts.setdefault(model, deque()).extend(outcomes)

    def calls(self, model: str) -> int:
        return len(self.seen.get(model, []))


class FakeTime:
    """A clock that only moves when the code under test sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)
