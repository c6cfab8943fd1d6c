"""`ainvoke` runs the same routes as `invoke`, natively async, and many runs at once."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from asymroute.classifiers import CLASSIFIERS, ComplexityScore
from asymroute.providers import PROVIDERS
from asymroute.providers.base import ModelOptions
from asymroute.settings import Settings

ROUTES = [
    pytest.param({}, id="local"),
    pytest.param({"threshold": 0.0}, id="frontier"),
    pytest.param({"local_model": "fake:empty"}, id="escalated"),
    pytest.param({"local_model": "fake:down"}, id="local-down"),
    pytest.param({"frontier_model": "fake:down", "threshold": 0.0}, id="frontier-down"),
]

COMPARED = ("decision", "verdict", "escalated", "answered_by", "answer_model", "flags")


def _comparable(state: dict[str, Any]) -> dict[str, Any]:
    usage = [{k: v for k, v in u.items() if k != "latency_s"} for u in state["usage"]]
    answer = str(state["messages"][-1].content)
    return {**{key: state.get(key) for key in COMPARED}, "usage": usage, "answer": answer}


@pytest.mark.parametrize("context", ROUTES)
def test_ainvoke_takes_the_same_route_as_invoke(make_router: Any, context: dict[str, Any]) -> None:
    request = {"messages": [("user", "What is 2+3?")]}
    sync_state = make_router(**context).invoke(request)
    async_state = asyncio.run(make_router(**context).ainvoke(request))

    assert _comparable(async_state) == _comparable(sync_state)


class AsyncOnlyChatModel(BaseChatModel):
    """Answers only through `_agenerate`: a blocking call in the async path would fail."""

    threads: Any = None

    @property
    def _llm_type(self) -> str:
        return "async-only-fake"

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        raise AssertionError("the async graph made a blocking model call")

    async def _agenerate(
        self, messages: list[BaseMessage], *args: Any, **kwargs: Any
    ) -> ChatResult:
        self.threads.add(threading.get_ident())
        await asyncio.sleep(0.05)  # concurrent runs overlap here if nothing blocks the loop
        reply = AIMessage("The answer is 5.", response_metadata={"finish_reason": "stop"})
        return ChatResult(generations=[ChatGeneration(message=reply)])


class AsyncOnlyProvider:
    name = "asyncfake"
    example = "asyncfake:any"

    def __init__(self) -> None:
        self.threads: set[int] = set()

    def is_configured(self, settings: Settings) -> bool:
        return True

    def create(self, model: str, settings: Settings, options: ModelOptions) -> BaseChatModel:
        return AsyncOnlyChatModel(threads=self.threads)


def test_many_concurrent_ainvokes_call_models_on_the_event_loop(
    make_router: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = AsyncOnlyProvider()
    monkeypatch.setitem(PROVIDERS, "asyncfake", provider)
    graph = make_router(local_model="asyncfake:local", frontier_model="asyncfake:frontier")
    prompts = [f"What is {n}+3?" for n in range(200)]

    async def run_all() -> tuple[list[dict[str, Any]], int]:
        loop_thread = threading.get_ident()
        states = await asyncio.gather(
            *(graph.ainvoke({"messages": [("user", p)]}) for p in prompts)
        )
        return list(states), loop_thread

    states, loop_thread = asyncio.run(run_all())

    assert provider.threads == {loop_thread}
    assert [str(s["messages"][0].content) for s in states] == prompts
    assert all(s["answered_by"] == "local" and len(s["usage"]) == 1 for s in states)


class ThreadRecordingClassifier:
    """Scores every prompt local and records the thread it scored on."""

    name = "thread-recording"

    def __init__(self) -> None:
        self.threads: set[int] = set()

    def score(self, prompt: str) -> ComplexityScore:
        self.threads.add(threading.get_ident())
        return ComplexityScore(0.1, ("recorded",))


def test_ainvoke_scores_the_prompt_off_the_event_loop(
    make_router: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default classifier embeds the prompt (tens of milliseconds for a long one): under
    # ainvoke that runs in a worker thread, so other requests on the loop are not held up.
    classifier = ThreadRecordingClassifier()
    monkeypatch.setitem(CLASSIFIERS, "thread-recording", lambda: classifier)
    graph = make_router(classifier="thread-recording")

    async def run() -> tuple[dict[str, Any], int]:
        state = await graph.ainvoke({"messages": [("user", "What is 2+3?")]})
        return state, threading.get_ident()

    state, loop_thread = asyncio.run(run())

    assert "recorded" in state["decision"]["reasons"]
    assert classifier.threads and loop_thread not in classifier.threads
