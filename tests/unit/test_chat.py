"""Conversations: follow-ups are routed with their context; totals are kept per thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from asymroute.classifiers import get_classifier
from asymroute.context import RouterContext
from asymroute.conversation import FollowupPolicy, is_followup, score_turns
from asymroute.errors import InvalidRequestError
from asymroute.graphs.chat import build_chat
from asymroute.graphs.router import build_router
from asymroute.pricing import ModelPrice
from asymroute.settings import Settings
from tests.support.fake_provider import FakeProvider

COMPLEX = "Analyze and debug this parser, then refactor it to be thread-safe."
SIMPLE = "What is 2+3?"
HEURISTIC = get_classifier("heuristic")


def tier(turns: list[str], **policy: Any) -> str:
    score = score_turns(turns, HEURISTIC, FollowupPolicy(**policy)).score
    return "frontier" if score >= 0.5 else "local"


@pytest.mark.parametrize(
    ("dialogue", "expected"),
    [
        ([COMPLEX, "and why?"], "frontier"),
        ([COMPLEX, "make it faster"], "frontier"),
        ([COMPLEX, "Can you make that shorter?"], "frontier"),
        ([COMPLEX, "make it faster", "and now simpler"], "frontier"),  # a chain of follow-ups
        ([COMPLEX, SIMPLE], "local"),  # short, but stands on its own
        ([COMPLEX, "Tell me a joke about cats and dogs and birds please, a long one."], "local"),
        ([SIMPLE, "and why?"], "local"),  # a follow-up to a simple exchange stays simple
        ([SIMPLE, COMPLEX], "frontier"),  # the classifier may always move a turn up
        ([COMPLEX, SIMPLE, "and why?"], "local"),  # follows the simple turn, not the first
        ([COMPLEX, "ok, and why?"], "frontier"),  # a lead-in before a connective
        ([COMPLEX, "now make it shorter"], "frontier"),  # "now" with a back-reference
        # A change of subject, announced or opened like a new request, is scored on its own.
        ([COMPLEX, "Unrelated question: what is that song from Frozen called?"], "local"),
        ([COMPLEX, "by the way, what is this bird called?"], "local"),
        ([COMPLEX, "ok forget it. tell me a joke about penguins"], "local"),
        ([COMPLEX, "also what year did the Berlin Wall fall"], "local"),
    ],
)
def test_follow_up_dialogues(dialogue: list[str], expected: str) -> None:
    assert tier(dialogue) == expected


def test_policy_latest_routes_on_the_last_message_alone() -> None:
    assert tier([COMPLEX, "and why?"], mode="latest") == "local"


def test_follow_up_length_is_configurable() -> None:
    assert tier([COMPLEX, "make it faster"], max_words=2) == "local"
    assert not is_followup("make it faster", 2)
    assert is_followup("why?", 2) and not is_followup("", 12)


def test_inherited_score_says_why() -> None:
    score = score_turns([COMPLEX, "and why?"], HEURISTIC, FollowupPolicy())
    assert score.score == HEURISTIC.score(COMPLEX).score
    assert any("follow-up to a turn scored" in reason for reason in score.reasons)


@pytest.fixture
def make_chat(fake_provider: FakeProvider) -> Callable[..., Any]:
    def build(**context: Any) -> Any:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            price_overrides={
                "fake:frontier": ModelPrice(input_per_million=1, output_per_million=2)
            },
        )
        defaults = RouterContext(
            local_model="fake:good",
            frontier_model="fake:frontier",
            classifier="heuristic",
            **context,
        )
        return build_chat(build_router(settings, defaults), InMemorySaver())

    return build


def say(graph: Any, text: str, thread: str = "c1", **kwargs: Any) -> dict[str, Any]:
    config = {"configurable": {"thread_id": thread}}
    return graph.invoke({"messages": [("user", text)]}, config, **kwargs)


def test_follow_up_on_a_thread_keeps_the_frontier(make_chat: Any) -> None:
    graph = make_chat()
    say(graph, COMPLEX)
    state = say(graph, "and why?")

    assert [(t["turn"], t["routed"], t["tier"]) for t in state["turns"]] == [
        (1, "frontier", "frontier"),
        (2, "frontier", "frontier"),
    ]
    assert [m.type for m in state["messages"]] == ["human", "ai", "human", "ai"]


def test_follow_up_goes_local_with_policy_latest(make_chat: Any) -> None:
    graph = make_chat(followup_policy="latest")
    say(graph, COMPLEX)
    assert say(graph, "and why?")["turns"][-1]["tier"] == "local"


def test_the_model_sees_the_whole_conversation(make_chat: Any, fake_provider: FakeProvider) -> None:
    graph = make_chat()
    say(graph, SIMPLE)
    say(graph, "and why?")

    _, messages = fake_provider.seen[-1]
    assert [str(m.content) for m in messages] == [SIMPLE, FakeProvider.text("good"), "and why?"]


def test_thread_totals_count_calls_tokens_and_cost(make_chat: Any) -> None:
    graph = make_chat()
    say(graph, COMPLEX)
    say(graph, SIMPLE)
    state = say(graph, "Now analyze the lexer and debug it.", thread="c1")
    other = say(graph, SIMPLE, thread="c2")

    assert state["totals"]["calls"] == {"local": 1, "frontier": 2}
    assert state["totals"]["input_tokens"] == 2000 and state["totals"]["output_tokens"] == 1000
    assert state["totals"]["cost_usd"] == pytest.approx(0.004)
    assert sum(t["cost_usd"] for t in state["turns"]) == pytest.approx(0.004)
    assert other["totals"]["calls"] == {"local": 1, "frontier": 0}  # threads are separate


def test_async_chat_keeps_the_thread(make_chat: Any) -> None:
    graph = make_chat()

    async def talk() -> dict[str, Any]:
        config = {"configurable": {"thread_id": "a1"}}
        await graph.ainvoke({"messages": [("user", COMPLEX)]}, config)
        return await graph.ainvoke({"messages": [("user", "and why?")]}, config)

    state = asyncio.run(talk())
    assert [t["tier"] for t in state["turns"]] == ["frontier", "frontier"]


def test_a_turn_needs_a_user_message(make_chat: Any) -> None:
    graph = make_chat()
    say(graph, SIMPLE)
    with pytest.raises(InvalidRequestError, match="needs a new user message"):
        graph.invoke({"messages": []}, {"configurable": {"thread_id": "c1"}})


def test_the_bare_router_on_a_thread_routes_follow_ups_too(make_router: Any) -> None:
    router = build_router(
        Settings(_env_file=None),  # type: ignore[call-arg]
        RouterContext(
            local_model="fake:good", frontier_model="fake:frontier", classifier="heuristic"
        ),
    )
    graph = router.builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "r1"}}
    graph.invoke({"messages": [("user", COMPLEX)]}, config)
    state = graph.invoke({"messages": [("user", "and why?")]}, config)
    assert state["decision"]["tier"] == "frontier"
