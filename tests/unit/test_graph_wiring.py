"""The router graph's shape, its entry points, per-run context, and input checking."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from asymroute.context import RouterContext
from asymroute.errors import ConfigurationError, InvalidRequestError
from asymroute.graphs.router import build_router
from asymroute.settings import Settings

SIMPLE = {"messages": [("user", "What is 2+3?")]}


def test_graph_has_exactly_the_documented_branches(make_router: Any) -> None:
    edges = make_router().get_graph().edges

    conditional = {(e.source, e.target) for e in edges if e.conditional}
    fixed = {(e.source, e.target) for e in edges if not e.conditional}
    assert conditional == {
        ("classify", "local_model"),
        ("classify", "frontier_model"),
        ("validate", "frontier_model"),
        ("validate", "__end__"),
    }
    assert fixed == {
        ("__start__", "classify"),
        ("local_model", "validate"),
        ("frontier_model", "__end__"),
    }


def test_build_router_rejects_bad_defaults() -> None:
    with pytest.raises(ConfigurationError, match="default routing context is invalid"):
        build_router(settings=Settings(), defaults=RouterContext(local_model="nope"))


def test_build_router_names_the_graph(make_router: Any) -> None:
    assert make_router().name == "router"


def test_ainvoke_answers_like_invoke(make_router: Any, fake_provider: Any) -> None:
    state = asyncio.run(make_router().ainvoke(SIMPLE))

    assert state["answered_by"] == "local"
    assert state["messages"][-1].content == fake_provider.text("good")


def test_stream_yields_one_update_per_node_in_order(make_router: Any) -> None:
    chunks = list(make_router(local_model="fake:empty").stream(SIMPLE, stream_mode="updates"))

    assert [next(iter(chunk)) for chunk in chunks] == [
        "classify",
        "local_model",
        "validate",
        "frontier_model",
    ]
    assert chunks[-1]["frontier_model"]["answered_by"] == "frontier"


def test_run_context_overrides_the_defaults(make_router: Any, fake_provider: Any) -> None:
    graph = make_router()
    context = RouterContext(local_model="fake:good", frontier_model="fake:frontier", threshold=0)

    state = graph.invoke(SIMPLE, context=context)

    assert state["answered_by"] == "frontier"
    assert fake_provider.created_models == ["frontier"]


def test_run_context_may_be_a_dict(make_router: Any) -> None:
    context = {"local_model": "fake:good", "frontier_model": "fake:frontier", "threshold": 0.0}

    assert make_router().invoke(SIMPLE, context=context)["answered_by"] == "frontier"


def test_bad_run_context_raises_configuration_error(make_router: Any, fake_provider: Any) -> None:
    with pytest.raises(ConfigurationError, match="classifier 'bayes'"):
        make_router().invoke(SIMPLE, context=RouterContext(classifier="bayes"))
    assert fake_provider.created_models == []


@pytest.mark.parametrize(
    ("request_input", "message"),
    [
        ({"messages": []}, "no messages"),
        ({"messages": [("user", "   ")]}, "empty or whitespace only"),
        ({"messages": [("user", 123)]}, "message 0 has int content"),
        ({"messages": [("system", "Be brief.")]}, "no user message"),
        ({"messages": [{"role": "robot", "content": "hi"}]}, "messages could not be read"),
    ],
)
def test_invalid_input_raises_invalid_request_before_any_model_call(
    make_router: Any, fake_provider: Any, request_input: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        make_router().invoke(request_input)
    assert fake_provider.created_models == []


def test_overlong_request_is_rejected(make_router: Any) -> None:
    graph = make_router(settings=Settings(ASYMROUTE_MAX_PROMPT_CHARS=10))

    with pytest.raises(InvalidRequestError, match="over the limit of 10"):
        graph.invoke({"messages": [("user", "x" * 11)]})


def test_conversation_history_reaches_the_model(make_router: Any, fake_provider: Any) -> None:
    request = {
        "messages": [("system", "Be brief."), ("user", "Hi"), ("ai", "Hello"), ("user", "2+3?")]
    }

    make_router().invoke(request)

    ((_, sent),) = fake_provider.seen
    assert [(m.type, m.content) for m in sent] == [
        ("system", "Be brief."),
        ("human", "Hi"),
        ("ai", "Hello"),
        ("human", "2+3?"),
    ]
