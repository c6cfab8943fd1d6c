"""The router graph with the new validators: escalation, extra local calls in usage, retries."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatResult

from asymroute.context import RouterContext
from asymroute.providers import PROVIDERS
from asymroute.settings import Settings

QUESTION = "Tom has 3 boxes of 4 apples and eats 2. How many apples are left?"
SOUND = "3 * 4 = 12 apples, 12 - 2 = 10 left.\n#### 10"
BROKEN = "3 * 4 = 13 apples, however I am not sure, approximately 13 - 2 = 11 left"


class ScriptedChat(BaseChatModel):
    script: Any
    seen: Any

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        self.seen.append(list(messages))
        text = self.script(messages)
        usage = UsageMetadata(input_tokens=7, output_tokens=3, total_tokens=10)
        reply = AIMessage(text, usage_metadata=usage, response_metadata={"finish_reason": "stop"})
        return ChatResult(generations=[ChatGeneration(message=reply)])


@dataclass
class ScriptProvider:
    """`script:local` answers with `local`, `script:frontier` with 'Frontier: 10'."""

    local: Callable[[list[BaseMessage]], str]
    name: str = "script"
    example: str = "script:local"
    seen: dict[str, list[Any]] = field(default_factory=lambda: {"local": [], "frontier": []})

    def is_configured(self, settings: Settings) -> bool:
        return True

    def create(self, model: str, settings: Settings, options: Any) -> BaseChatModel:
        script = self.local if model == "local" else (lambda messages: "Frontier: 10")
        return ScriptedChat(script=script, seen=self.seen[model])


@pytest.fixture
def router(monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[Any, ScriptProvider]]:
    from asymroute.graphs.router import build_router

    def build(local: Callable[[list[BaseMessage]], str], **context: Any) -> Any:
        provider = ScriptProvider(local)
        monkeypatch.setitem(PROVIDERS, "script", provider)
        defaults = RouterContext(
            local_model="script:local",
            frontier_model="script:frontier",
            classifier="keywords",
            **context,
        )
        return build_router(settings=Settings(), defaults=defaults), provider

    return build


def ask(graph: Any) -> Any:
    return graph.invoke({"messages": [("user", QUESTION)]})


def test_scorer_escalates_a_broken_answer_and_keeps_it_for_inspection(router: Any) -> None:
    graph, _provider = router(lambda m: BROKEN, validators=("structural", "scorer"))
    state = ask(graph)
    assert state["escalated"] and state["answered_by"] == "frontier"
    assert state["escalation_reason"].startswith("scorer: P(wrong) ")
    assert state["verdict"]["failed"] == ["scorer"]
    assert state["local_answer"].content == BROKEN
    assert [m.content for m in state["messages"]][-1] == "Frontier: 10"


def test_scorer_lets_a_sound_answer_through(router: Any) -> None:
    graph, _ = router(lambda m: SOUND, validators=("structural", "scorer"))
    state = ask(graph)
    assert not state["escalated"] and state["answered_by"] == "local"
    assert state["verdict"]["passed"] and state["verdict"]["confidence"] > 0.7


def verifier(verdict: str) -> Callable[[list[BaseMessage]], str]:
    return lambda messages: (
        f"Verdict: {verdict}" if "Verdict:" in str(messages[-1].content) else SOUND
    )


@pytest.mark.parametrize("driver", ["invoke", "ainvoke"])
def test_self_verify_calls_the_local_model_k_times_and_records_usage(
    router: Any, driver: str
) -> None:
    graph, provider = router(verifier("Correct"), validators=("structural", "self_verify"))
    if driver == "invoke":
        state = ask(graph)
    else:
        state = asyncio.run(graph.ainvoke({"messages": [("user", QUESTION)]}))
    assert state["answered_by"] == "local" and not state["escalated"]
    assert len(provider.seen["local"]) == 4  # the answer, then 3 verifications
    assert [u["tier"] for u in state["usage"]] == ["local"] * 4
    assert all(u["input_tokens"] == 7 for u in state["usage"])
    assert state["verdict"]["judgements"]["self_verify"]["confidence"] == 1.0


def test_self_verify_incorrect_verdicts_escalate(router: Any) -> None:
    graph, _provider = router(
        verifier("Incorrect"), validators=("structural", "self_verify"), self_verify_samples=2
    )
    state = ask(graph)
    assert state["escalated"] and state["answered_by"] == "frontier"
    assert state["escalation_reason"] == (
        "self_verify: 0/2 verdicts say correct (0 of 2 unparsed or failed): below 0.5"
    )
    assert [u["tier"] for u in state["usage"]] == ["local", "local", "local", "frontier"]


def resolver(final: str) -> Callable[[list[BaseMessage]], str]:
    """Answers the question with SOUND; re-solutions (a solving instruction) end on `final`."""
    return lambda messages: (
        f"3 * 4 = 12, 12 - 2 = 10\nAnswer: {final}" if messages[0].type == "system" else SOUND
    )


@pytest.mark.parametrize("driver", ["invoke", "ainvoke"])
def test_consistency_resolves_k_times_and_keeps_an_agreeing_answer(
    router: Any, driver: str
) -> None:
    graph, provider = router(resolver("10 apples"), validators=("structural", "consistency"))
    if driver == "invoke":
        state = ask(graph)
    else:
        state = asyncio.run(graph.ainvoke({"messages": [("user", QUESTION)]}))
    assert state["answered_by"] == "local" and not state["escalated"]
    resolutions = provider.seen["local"][1:]
    assert len(resolutions) == 2  # consistency_samples defaults to 2
    assert all(m[-1].content == QUESTION for m in resolutions)
    assert len({m[0].content for m in resolutions}) == 2  # different solving instructions
    assert [u["tier"] for u in state["usage"]] == ["local"] * 3
    assert state["verdict"]["judgements"]["consistency"]["confidence"] == 1.0


def test_consistency_disagreement_escalates(router: Any) -> None:
    graph, _provider = router(
        resolver("14"), validators=("structural", "consistency"), consistency_samples=3
    )
    state = ask(graph)
    assert state["escalated"] and state["answered_by"] == "frontier"
    assert state["escalation_reason"] == (
        "consistency: 0/3 resamples reach the same final answer (10; 0 of 3 stated none or "
        "failed): below 0.5"
    )
    assert state["local_answer"].content == SOUND
    assert [u["tier"] for u in state["usage"]] == ["local"] * 4 + ["frontier"]


def test_format_retry_answer_replaces_the_invalid_one(router: Any) -> None:
    def local(messages: list[BaseMessage]) -> str:
        return '{"total": 10}' if len(messages) > 1 else "The total is 10."

    graph, _provider = router(
        local, validators=("structural", "format"), response_format={"type": "json_object"}
    )
    state = ask(graph)
    assert state["answered_by"] == "local" and not state["escalated"]
    assert state["messages"][-1].content == '{"total": 10}'
    assert state["local_answer"].content == '{"total": 10}'
    assert len(state["usage"]) == 2
    assert "the retry fixed it" in state["verdict"]["reasons"][-1]


def test_format_failure_after_retry_escalates(router: Any) -> None:
    graph, _ = router(
        lambda m: "never json",
        validators=("structural", "format"),
        response_format={"type": "json_object"},
    )
    state = ask(graph)
    assert state["escalated"] and state["verdict"]["failed"] == ["format"]
    assert "after one retry: not valid JSON" in state["escalation_reason"]
