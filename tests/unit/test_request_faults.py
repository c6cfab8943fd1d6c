"""A failure the request caused is the request's: it never counts against an endpoint.

Only transport errors, timeouts, upstream 5xx/429 (and replies that cannot be read) open a
breaker. Text a client library cannot encode, a prompt over the context window or a 4xx is
about the request; were it counted, five such requests would take a tier offline for everyone.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import pytest

from asymroute.context import RouterContext
from asymroute.errors import InvalidRequestError, NoAnswerError
from asymroute.graphs.router import build_router
from asymroute.resilience import BreakerRegistry, Resilience, classify_failure
from asymroute.resilience.attempts import counts_against_endpoint
from asymroute.settings import Settings
from tests.support.scripted_models import FakeTime, ScriptedProvider, StatusError


def unencodable() -> UnicodeEncodeError:
    return UnicodeEncodeError("utf-8", "hi \ud800", 3, 4, "surrogates not allowed")


def over_the_window() -> ValueError:
    return ValueError("Requested tokens (5210) exceed context window of 4096")


@pytest.mark.parametrize(
    ("exc", "counts"),
    [
        (unencodable(), False),
        (over_the_window(), False),
        (StatusError(400), False),
        (StatusError(404), False),
        (TypeError("bad argument"), False),
        (StatusError(500), True),
        (StatusError(503), True),
        (StatusError(429), True),
        (ConnectionRefusedError("refused"), True),
        (TimeoutError("slow"), True),
        (json.JSONDecodeError("Expecting value", "{", 1), True),
    ],
)
def test_only_endpoint_faults_count_against_the_endpoint(exc: Exception, counts: bool) -> None:
    assert counts_against_endpoint(classify_failure(exc)) is counts


def graph_with_breakers(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, BreakerRegistry]:
    fake_time = FakeTime()
    config = Settings(
        _env_file=None,  # type: ignore[call-arg]
        ASYMROUTE_FRONTIER_MAX_RETRIES=0,
        ASYMROUTE_BREAKER_FAILURES=2,
        ASYMROUTE_BREAKER_COOLDOWN_S=30,
    )
    breakers = BreakerRegistry(2, 30, clock=fake_time.clock)
    resilience = Resilience(breakers, random.Random(0), fake_time.sleep, fake_time.asleep)
    resilience.clock = fake_time.clock
    monkeypatch.setattr(Resilience, "from_settings", classmethod(lambda cls, s: resilience))
    context = RouterContext(
        local_model="scripted:local", frontier_model="scripted:frontier", threshold=1.0
    )
    return build_router(config, context), breakers


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
@pytest.mark.parametrize(
    ("fault", "error"), [(unencodable, NoAnswerError), (over_the_window, InvalidRequestError)]
)
def test_requests_failing_on_both_tiers_by_their_own_fault_open_no_breaker(
    monkeypatch: pytest.MonkeyPatch,
    scripted: ScriptedProvider,
    mode: str,
    fault: Any,
    error: type[Exception],
) -> None:
    graph, breakers = graph_with_breakers(monkeypatch)
    payload = {"messages": [("user", "What is 2+3?")]}
    for _ in range(5):
        scripted.script("local", fault())
        scripted.script("frontier", fault())
        with pytest.raises(error):
            graph.invoke(payload) if mode == "invoke" else asyncio.run(graph.ainvoke(payload))
    assert [breakers.status(e).state for e in ("scripted:local", "scripted:frontier")] == [
        "closed",
        "closed",
    ]
    state = graph.invoke(payload)  # the next client is answered, on the tier it was routed to
    assert state["answered_by"] == "local" and not state.get("flags")


def test_lone_surrogates_are_refused_at_the_python_entry(scripted: ScriptedProvider) -> None:
    graph = build_router(
        Settings(_env_file=None),  # type: ignore[call-arg]
        RouterContext(local_model="scripted:local", frontier_model="scripted:frontier"),
    )
    with pytest.raises(InvalidRequestError, match=r"message 0\.content.*surrogate"):
        graph.invoke({"messages": [("user", "hi \ud800")]})
    assert scripted.calls("local") + scripted.calls("frontier") == 0


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
def test_a_prompt_over_the_local_window_goes_to_the_frontier_and_opens_no_breaker(
    monkeypatch: pytest.MonkeyPatch, scripted: ScriptedProvider, mode: str
) -> None:
    graph, breakers = graph_with_breakers(monkeypatch)
    payload = {"messages": [("user", "Summarise this long report.")]}
    for _ in range(5):
        scripted.script("local", over_the_window())
        state = graph.invoke(payload) if mode == "invoke" else asyncio.run(graph.ainvoke(payload))
        assert state["answered_by"] == "frontier" and state["escalated"]
    assert breakers.status("scripted:local").state == "closed"


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
def test_a_private_prompt_over_the_local_window_is_an_invalid_request_not_an_outage(
    monkeypatch: pytest.MonkeyPatch, scripted: ScriptedProvider, mode: str
) -> None:
    """privacy=route-local keeps it off the frontier: no tier fits, so the request is a 400."""
    graph, breakers = graph_with_breakers(monkeypatch)
    payload = {"messages": [("user", "Summarise the mail of jane.doe@example.com for me.")]}
    for _ in range(5):
        scripted.script("local", over_the_window())
        with pytest.raises(InvalidRequestError, match="too long for the context window"):
            graph.invoke(payload) if mode == "invoke" else asyncio.run(graph.ainvoke(payload))
    assert breakers.status("scripted:local").state == "closed"
    assert scripted.calls("frontier") == 0
    assert graph.invoke(payload)["answered_by"] == "local"  # the next private request is served
