"""Fuzzed input through the Python API: every request ends in an answer or a clear error."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langgraph.errors import EmptyInputError, InvalidUpdateError

from asymroute.context import RouterContext
from asymroute.errors import AsymrouteError, InvalidRequestError
from asymroute.graphs.router import build_router
from asymroute.providers import PROVIDERS
from asymroute.settings import Settings
from tests.support.fuzz_inputs import JSON_ANY, MESSAGES, SURROGATE_MESSAGE
from tests.support.scripted_models import ScriptedProvider

# LangGraph itself rejects input that is not a dict ("Expected dict, got []", "Received no
# input"), before any node runs; asymroute's checks start with the dict's `messages`.
LANGGRAPH_INPUT_ERRORS = (InvalidUpdateError, EmptyInputError)

FUZZ = settings(
    max_examples=2000,
    derandomize=True,  # the same 2,000 cases on every CI run: no flaky landings
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # the graph and provider are shared on purpose
    ],
)


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setitem(PROVIDERS, "scripted", ScriptedProvider())
    defaults = RouterContext(
        local_model="scripted:local", frontier_model="scripted:frontier", classifier="heuristic"
    )
    config = Settings(_env_file=None, ASYMROUTE_MAX_PROMPT_CHARS=50_000)  # type: ignore[call-arg]
    return build_router(config, defaults)


def check(graph: Any, payload: Any, use_async: bool) -> None:
    try:
        state = asyncio.run(graph.ainvoke(payload)) if use_async else graph.invoke(payload)
    except (AsymrouteError, *LANGGRAPH_INPUT_ERRORS) as exc:
        if isinstance(exc, LANGGRAPH_INPUT_ERRORS):
            assert not isinstance(payload, dict), "a dict input must reach our own checks"
        message = str(exc)
        assert message.strip(), "an error must say what is wrong"
        return
    assert state["answered_by"] in ("local", "frontier")
    assert state["messages"][-1].content


@FUZZ
@given(messages=MESSAGES, use_async=st.booleans())
def test_fuzzed_messages_get_an_answer_or_a_clear_error(
    graph: Any, messages: Any, use_async: bool
) -> None:
    check(graph, {"messages": messages}, use_async)


@settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(FUZZ.suppress_health_check),
)
@given(payload=st.one_of(JSON_ANY, st.dictionaries(st.text(max_size=10), JSON_ANY, max_size=3)))
def test_fuzzed_top_level_input_gets_an_answer_or_a_clear_error(graph: Any, payload: Any) -> None:
    check(graph, payload, use_async=False)


@settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(FUZZ.suppress_health_check),
)
@given(
    clean=st.lists(st.sampled_from([("user", "What is 2+3?"), ("assistant", "5")]), max_size=3),
    hostile=SURROGATE_MESSAGE,
    use_async=st.booleans(),
)
def test_a_lone_surrogate_anywhere_is_an_invalid_request_that_reaches_no_model(
    monkeypatch: pytest.MonkeyPatch, clean: list[Any], hostile: Any, use_async: bool
) -> None:
    provider = ScriptedProvider()
    monkeypatch.setitem(PROVIDERS, "scripted", provider)
    graph = build_router(
        Settings(_env_file=None),  # type: ignore[call-arg]
        RouterContext(local_model="scripted:local", frontier_model="scripted:frontier"),
    )
    payload = {"messages": [*clean, hostile]}
    with pytest.raises(InvalidRequestError, match="surrogate"):
        asyncio.run(graph.ainvoke(payload)) if use_async else graph.invoke(payload)
    assert provider.calls("local") + provider.calls("frontier") == 0
