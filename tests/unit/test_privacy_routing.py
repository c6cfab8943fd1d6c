"""The privacy policy through the graph: what the frontier is sent, and what the record says."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from asymroute.context import RouterContext
from asymroute.errors import ConfigurationError, NoAnswerError
from asymroute.graphs.router import build_router
from asymroute.guards import guard_route
from asymroute.records import PRIVACY_LOCAL, PRIVACY_REDACTED, RoutingDecision
from asymroute.requests import content_text
from asymroute.settings import Settings
from tests.support.scripted_models import ScriptedProvider, StatusError

CARD = "4111 1111 1111 1111"
SENSITIVE = f"Refactor the billing code; my card is {CARD} and my email is ann@example.com"
MODES = ["invoke", "ainvoke"]


def graph(**context: Any) -> Any:
    defaults = RouterContext(
        **{
            "local_model": "scripted:local",
            "frontier_model": "scripted:frontier",
            "classifier": "keywords",  # "refactor" scores 1.0: the frontier, on complexity
            **context,
        }
    )
    return build_router(Settings(_env_file=None), defaults)  # type: ignore[call-arg]


def invoke(mode: str, router: Any, prompt: str = SENSITIVE, **kwargs: Any) -> Any:
    payload = {"messages": [("user", prompt)]}
    if mode == "invoke":
        return router.invoke(payload, **kwargs)
    return asyncio.run(router.ainvoke(payload, **kwargs))


def sent_text(provider: ScriptedProvider, model: str) -> str:
    return " ".join(content_text(m) for call in provider.seen.get(model, []) for m in call)


@pytest.mark.parametrize("mode", MODES)
def test_route_local_keeps_sensitive_requests_off_the_frontier_by_default(
    mode: str, scripted: ScriptedProvider
) -> None:
    state = invoke(mode, graph())

    decision = state["decision"]
    assert decision["tier"] == "local" and decision["score"] == 1.0
    assert decision["privacy"] == ["card_number", "email"]
    assert decision["reasons"][0] == "privacy: card_number, email found; kept on the local tier"
    assert PRIVACY_LOCAL in state["flags"] and state["answered_by"] == "local"
    assert scripted.calls("frontier") == 0 and CARD in sent_text(scripted, "local")
    # Categories, never values, in the record.
    assert CARD not in str(decision) and "ann@example.com" not in str(state["flags"])


@pytest.mark.parametrize("mode", MODES)
def test_route_local_blocks_escalation_too(mode: str, scripted: ScriptedProvider) -> None:
    scripted.script("local", "")  # an empty answer fails validation and would escalate
    state = invoke(mode, graph())

    assert scripted.calls("frontier") == 0
    assert state["answered_by"] == "local" and state["escalated"] is False
    assert [u["tier"] for u in state["usage"]] == ["local"]
    assert "validation_failed_unescalated" in state["flags"] and "privacy_local" in state["flags"]
    assert "frontier_unavailable" not in state["flags"]


@pytest.mark.parametrize("mode", MODES)
def test_route_local_with_the_local_tier_down_is_a_clear_error_not_a_leak(
    mode: str, scripted: ScriptedProvider
) -> None:
    scripted.script("local", ConnectionRefusedError("refused"))
    with pytest.raises(NoAnswerError, match="privacy=route-local keeps it off the frontier"):
        invoke(mode, graph())
    assert scripted.calls("frontier") == 0


@pytest.mark.parametrize("mode", MODES)
def test_redact_before_frontier_sends_placeholders_and_restores_them(
    mode: str, scripted: ScriptedProvider
) -> None:
    scripted.script("frontier", "Charged [REDACTED_CARD_NUMBER_1]; receipt to [REDACTED_EMAIL_1]")
    state = invoke(mode, graph(privacy="redact-before-frontier"))

    sent = sent_text(scripted, "frontier")
    assert CARD not in sent and "ann@example.com" not in sent
    assert "[REDACTED_CARD_NUMBER_1]" in sent and "[REDACTED_EMAIL_1]" in sent
    assert state["answered_by"] == "frontier"
    assert state["messages"][-1].content == f"Charged {CARD}; receipt to ann@example.com"
    assert state["decision"]["privacy"] == ["card_number", "email"]
    assert PRIVACY_REDACTED in state["flags"]


@pytest.mark.parametrize("mode", MODES)
def test_redact_before_frontier_redacts_an_escalation_but_the_local_tier_sees_the_original(
    mode: str, scripted: ScriptedProvider
) -> None:
    scripted.script("local", "")
    prompt = f"What is 2+3? my card is {CARD}"
    state = invoke(mode, graph(privacy="redact-before-frontier"), prompt)

    assert state["escalated"] and state["answered_by"] == "frontier"
    assert CARD in sent_text(scripted, "local") and CARD not in sent_text(scripted, "frontier")


@pytest.mark.parametrize("mode", MODES)
def test_privacy_off_changes_nothing(mode: str, scripted: ScriptedProvider) -> None:
    state = invoke(mode, graph(privacy="off"))

    assert state["answered_by"] == "frontier" and "privacy" not in state["decision"]
    assert CARD in sent_text(scripted, "frontier")


def test_a_request_without_sensitive_data_is_routed_by_complexity(
    scripted: ScriptedProvider,
) -> None:
    state = invoke("invoke", graph(), "Refactor this parser into a state machine")
    assert state["answered_by"] == "frontier" and "privacy" not in state["decision"]


def test_sensitive_data_in_an_earlier_turn_counts(scripted: ScriptedProvider) -> None:
    router = graph()
    history = [HumanMessage(f"my card is {CARD}"), ("assistant", "noted"), ("user", "Refactor it")]
    state = router.invoke({"messages": history})
    assert state["decision"]["privacy"] == ["card_number"] and scripted.calls("frontier") == 0


def test_unknown_privacy_mode_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="privacy must be one of off, route-local"):
        RouterContext(privacy="strict")


def test_guard_keeps_a_privacy_held_request_local_even_when_the_local_endpoint_cools() -> None:
    decision = RoutingDecision(
        tier="frontier",
        score=0.9,
        threshold=0.5,
        reasons=[],
        classifier="heuristic",
        frontier_unavailable=False,
    )
    guarded, flags = guard_route(
        decision,
        privacy_mode="route-local",
        privacy=["email"],
        cooling_down=["local"],
        frontier_available=True,
    )
    assert guarded["tier"] == "local" and "diverted_to" not in guarded
    assert flags == [PRIVACY_LOCAL]


def test_strict_mode_with_a_failing_frontier_raises(scripted: ScriptedProvider) -> None:
    scripted.script("frontier", *[StatusError(400)])
    with pytest.raises(NoAnswerError, match="the frontier tier"):
        invoke("invoke", graph(strict=True, privacy="off"), "Refactor this")
