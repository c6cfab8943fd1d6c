"""Tools through the router graph: bound on the answering tier, validated, escalated, skipped."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from asymroute.classifiers import get_classifier
from asymroute.context import RouterContext
from asymroute.conversation import FollowupPolicy, score_conversation
from asymroute.providers import PROVIDERS
from asymroute.settings import Settings
from asymroute.tool_calls import LOCAL_CANNOT_CALL_TOOLS
from tests.support.tool_models import QUESTION, WEATHER, ToolScriptProvider, weather_call


@pytest.fixture
def tools_provider(monkeypatch: pytest.MonkeyPatch) -> ToolScriptProvider:
    provider = ToolScriptProvider()
    monkeypatch.setitem(PROVIDERS, "tools", provider)
    return provider


def route(local: str, frontier: str = "tools:calls", **context: Any) -> dict[str, Any]:
    from asymroute.graphs.router import build_router

    defaults = RouterContext(
        local_model=local,
        frontier_model=frontier,
        classifier="heuristic",
        tools=[WEATHER],
        **context,
    )
    graph = build_router(settings=Settings(), defaults=defaults)
    result: dict[str, Any] = graph.invoke({"messages": [("user", QUESTION)]})
    return result


def test_a_valid_local_tool_call_is_the_answer(tools_provider: ToolScriptProvider) -> None:
    state = route("tools:calls", tool_choice="required")
    assert state["answered_by"] == "local"
    assert state["messages"][-1].tool_calls[0]["name"] == "get_weather"
    assert state["verdict"]["validators"] == ["structural", "tool_calls", "grounding"]
    assert tools_provider.bound[0][2] == {
        "tool_choice": "required",
        "stream": False,
    }  # local: whole
    assert tools_provider.seen[0][2][0]["function"]["name"] == "get_weather"


@pytest.mark.parametrize(
    ("local", "reason"),
    [
        ("tools:unknown_tool", "called 'get_time', which is not among the tools offered"),
        ("tools:bad_args", "'city' is a required property"),
        ("tools:text", "no tool call although tool_choice is required"),
    ],
)
def test_a_bad_local_tool_call_escalates(
    tools_provider: ToolScriptProvider, local: str, reason: str
) -> None:
    state = route(local, tool_choice="required")
    assert state["escalated"] is True
    assert state["answered_by"] == "frontier"
    assert reason in state["escalation_reason"]
    assert state["verdict"]["failed"] == ["tool_calls"]
    assert state["messages"][-1].tool_calls[0]["args"] == {"city": "Paris"}


def test_a_local_tier_that_cannot_call_tools_is_skipped(
    tools_provider: ToolScriptProvider, fake_provider: Any
) -> None:
    tools_provider.calls_tools = False
    state = route("tools:text", frontier="fake:frontier")
    assert state["decision"]["diverted_to"] == "frontier"
    assert LOCAL_CANNOT_CALL_TOOLS in state["flags"]
    assert state["answered_by"] == "frontier"
    assert tools_provider.seen == []  # the local model was never called
    assert fake_provider.seen[0][0] == "frontier"


def test_a_step_after_a_tool_result_is_scored_on_the_user_turn_it_serves() -> None:
    classifier = get_classifier("heuristic")
    policy = FollowupPolicy()
    hard = "Analyze and debug this parser, then refactor it to be thread-safe and benchmark it."
    after_result = [
        HumanMessage(hard),
        weather_call(),
        ToolMessage("18C and sunny", tool_call_id="c1"),
    ]
    scored = score_conversation(after_result, classifier, policy)
    assert scored.score == classifier.score(hard).score
    assert scored.reasons[-1] == "step after a tool result: scored on the user turn it serves"
    followup = [*after_result, AIMessage("Done."), HumanMessage("now summarise that")]
    inherited = score_conversation(followup, classifier, policy)
    assert (
        inherited.score
        == classifier.score(hard).score
        > classifier.score("now summarise that").score
    )


def test_a_listed_local_deployment_that_says_it_has_no_tools_is_skipped(
    tools_provider: ToolScriptProvider, fake_provider: Any, tmp_path: Any
) -> None:
    from asymroute.graphs.router import build_router

    listed = tmp_path / "models.yaml"
    listed.write_text(
        "deployments:\n"
        "  - {id: small, provider: tools, model: calls, capabilities: {tools: false}}\n"
        "tiers: {local: [small]}\n"
    )
    defaults = RouterContext(
        frontier_model="fake:frontier", classifier="heuristic", tools=[WEATHER]
    )
    graph = build_router(settings=Settings(model_list_path=listed), defaults=defaults)
    state = graph.invoke({"messages": [("user", QUESTION)]})
    assert LOCAL_CANNOT_CALL_TOOLS in state["flags"]
    assert state["answered_by"] == "frontier"
    assert tools_provider.seen == []  # its provider can call tools; the list said it cannot
