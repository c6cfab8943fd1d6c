"""Every route through the router graph, with scripted fake chat models on both tiers."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from asymroute.errors import FrontierUnavailableError, NoAnswerError
from asymroute.pricing import ModelPrice
from asymroute.settings import Settings

SIMPLE = "What is 2+3?"
UNCONFIGURED_FRONTIER = "openai:gpt-4o-mini"  # no OPENAI_API_KEY / OPENAI_BASE_URL in tests


def ask(graph: Any, prompt: str = SIMPLE, **kwargs: Any) -> dict[str, Any]:
    return graph.invoke({"messages": [("user", prompt)]}, **kwargs)


def contents(state: dict[str, Any]) -> list[str]:
    return [str(m.content) for m in state["messages"]]


def test_simple_prompt_is_answered_locally(make_router: Any, fake_provider: Any) -> None:
    state = ask(make_router())

    assert state["decision"]["tier"] == "local"
    assert state["answered_by"] == "local"
    assert state["answer_model"] == "fake:good"
    assert state["escalated"] is False
    assert state["flags"] == []
    assert state["verdict"]["passed"] is True
    assert contents(state) == [SIMPLE, fake_provider.text("good")]
    assert [(u["tier"], u["model"], u["error"]) for u in state["usage"]] == [
        ("local", "fake:good", None)
    ]
    assert fake_provider.created_models == ["good"]


def test_complex_prompt_goes_straight_to_frontier(make_router: Any, fake_provider: Any) -> None:
    state = ask(make_router(threshold=0.0))

    assert state["decision"]["tier"] == "frontier"
    assert state["answered_by"] == "frontier"
    assert state["answer_model"] == "fake:frontier"
    assert state["escalated"] is False
    assert state["local_answer"] is None
    assert state["verdict"] is None
    assert contents(state) == [SIMPLE, fake_provider.text("frontier")]
    assert [u["tier"] for u in state["usage"]] == ["frontier"]
    assert fake_provider.created_models == ["frontier"]


def test_empty_local_answer_escalates_without_entering_the_conversation(
    make_router: Any, fake_provider: Any
) -> None:
    state = ask(make_router(local_model="fake:empty"))

    assert state["escalated"] is True
    assert "empty answer" in state["escalation_reason"]
    assert isinstance(state["local_answer"], AIMessage)
    assert state["local_answer"].content == ""
    assert contents(state) == [SIMPLE, fake_provider.text("frontier")]
    assert state["answered_by"] == "frontier"
    assert [u["tier"] for u in state["usage"]] == ["local", "frontier"]
    frontier_input = dict(fake_provider.seen)["frontier"]
    assert [type(m) for m in frontier_input] == [HumanMessage]


@pytest.mark.parametrize(
    ("local", "reason"),
    [
        ("refusal", "structural: refusal: I'm sorry, but I can't help with that."),
        ("truncated", "structural: truncated answer (finish reason 'length')"),
    ],
)
def test_rejected_local_answer_escalates_with_the_reason(
    make_router: Any, fake_provider: Any, local: str, reason: str
) -> None:
    state = ask(make_router(local_model=f"fake:{local}"))

    assert state["escalated"] is True
    assert state["escalation_reason"] == reason
    assert state["local_answer"].content == fake_provider.text(local)
    assert contents(state)[-1] == fake_provider.text("frontier")


def test_failing_local_call_escalates(make_router: Any, fake_provider: Any) -> None:
    state = ask(make_router(local_model="fake:down"))

    assert state["escalated"] is True
    assert state["escalation_reason"] == (
        "structural: local call failed: ConnectionError: connection refused by fake endpoint"
    )
    assert state["local_answer"] is None
    assert state["usage"][0]["error"] == "ConnectionError: connection refused by fake endpoint"
    assert state["answered_by"] == "frontier"
    assert contents(state) == [SIMPLE, fake_provider.text("frontier")]


def test_unconfigured_frontier_answers_locally_flagged(
    make_router: Any, fake_provider: Any
) -> None:
    state = ask(make_router(frontier_model=UNCONFIGURED_FRONTIER, threshold=0.0))

    assert state["decision"]["tier"] == "frontier"
    assert state["decision"]["frontier_unavailable"] is True
    assert state["flags"] == ["frontier_unavailable"]
    assert state["answered_by"] == "local"
    assert contents(state)[-1] == fake_provider.text("good")
    assert fake_provider.created_models == ["good"]


def test_strict_mode_refuses_when_the_frontier_is_needed_but_unconfigured(
    make_router: Any, fake_provider: Any
) -> None:
    graph = make_router(frontier_model=UNCONFIGURED_FRONTIER, threshold=0.0, strict=True)

    with pytest.raises(FrontierUnavailableError, match="openai:gpt-4o-mini"):
        ask(graph)
    assert fake_provider.created_models == []


def test_strict_mode_refuses_a_rejected_local_answer_without_frontier(
    make_router: Any,
) -> None:
    graph = make_router(local_model="fake:empty", frontier_model=UNCONFIGURED_FRONTIER, strict=True)

    with pytest.raises(FrontierUnavailableError, match="failed validation"):
        ask(graph)


def test_rejected_local_answer_without_frontier_is_returned_flagged(
    make_router: Any, fake_provider: Any
) -> None:
    state = ask(make_router(local_model="fake:refusal", frontier_model=UNCONFIGURED_FRONTIER))

    assert state["escalated"] is False
    assert state["answered_by"] == "local"
    assert state["flags"] == ["frontier_unavailable", "validation_failed_unescalated"]
    assert contents(state)[-1] == fake_provider.text("refusal")


def test_failing_local_call_without_frontier_raises_no_answer(make_router: Any) -> None:
    graph = make_router(local_model="fake:down", frontier_model=UNCONFIGURED_FRONTIER)

    with pytest.raises(NoAnswerError, match=r"fake:down\) failed \(ConnectionError"):
        ask(graph)


def test_failing_frontier_after_escalation_returns_the_local_answer_flagged(
    make_router: Any, fake_provider: Any
) -> None:
    state = ask(make_router(local_model="fake:refusal", frontier_model="fake:down"))

    assert state["escalated"] is True
    assert state["answered_by"] == "local"
    assert state["answer_model"] == "fake:refusal"
    assert state["flags"] == ["frontier_failed"]
    assert contents(state) == [SIMPLE, fake_provider.text("refusal")]
    assert [(u["tier"], u["error"] is None) for u in state["usage"]] == [
        ("local", True),
        ("frontier", False),
    ]


def test_failing_frontier_on_a_direct_route_falls_back_to_one_local_call(
    make_router: Any, fake_provider: Any
) -> None:
    state = ask(make_router(frontier_model="fake:down", threshold=0.0))

    assert state["answered_by"] == "local"
    assert state["flags"] == ["frontier_failed"]
    assert contents(state)[-1] == fake_provider.text("good")
    assert fake_provider.created_models == ["down", "good"]


def test_failing_frontier_and_local_raise_no_answer_listing_both(make_router: Any) -> None:
    graph = make_router(local_model="fake:down", frontier_model="fake:down")

    with pytest.raises(NoAnswerError) as raised:
        ask(graph)

    assert "local: ConnectionError" in str(raised.value)
    assert "frontier: ConnectionError" in str(raised.value)


def test_strict_failing_frontier_raises_no_answer(make_router: Any) -> None:
    graph = make_router(frontier_model="fake:down", threshold=0.0, strict=True)

    with pytest.raises(NoAnswerError, match=r"frontier tier \(fake:down\) failed"):
        ask(graph)


def test_validation_off_lets_an_empty_local_answer_through(
    make_router: Any, fake_provider: Any
) -> None:
    state = ask(make_router(local_model="fake:empty", validate=False))

    assert state["escalated"] is False
    assert state["answered_by"] == "local"
    assert state["verdict"]["skipped"] is True
    assert contents(state) == [SIMPLE, ""]
    assert fake_provider.created_models == ["empty"]


def test_validation_off_still_escalates_a_failed_local_call(make_router: Any) -> None:
    state = ask(make_router(local_model="fake:down", validate=False))

    assert state["escalated"] is True
    assert state["answered_by"] == "frontier"


def test_frontier_cost_uses_usage_metadata_and_price_override(make_router: Any) -> None:
    settings = Settings(
        price_overrides={"fake:frontier": ModelPrice(input_per_million=2.5, output_per_million=10)}
    )
    state = ask(make_router(settings=settings, local_model="fake:empty"))

    local, frontier = state["usage"]
    assert (local["cost_usd"], local["priced"]) == (0.0, False)
    assert (frontier["input_tokens"], frontier["output_tokens"]) == (1000, 500)
    assert (frontier["cost_usd"], frontier["priced"]) == (0.0075, True)
    assert state["total_cost_usd"] == 0.0075


def test_model_options_reach_the_provider(make_router: Any, fake_provider: Any) -> None:
    settings = Settings(ASYMROUTE_FRONTIER_MAX_RETRIES=3, ASYMROUTE_LOCAL_TIMEOUT_S=7)
    ask(make_router(settings=settings, local_model="fake:empty", max_output_tokens=64))

    (_, local), (_, frontier) = fake_provider.created
    assert (local.max_output_tokens, local.max_retries, local.timeout_s) == (64, 0, 7.0)
    # The client's own retries stay off: call_tier retries (asymroute.resilience).
    assert (frontier.max_output_tokens, frontier.max_retries) == (64, 0)
