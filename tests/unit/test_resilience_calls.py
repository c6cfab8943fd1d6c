"""Retries, cooldowns and call accounting in call_tier/acall_tier and through the graph.

Scripted chat models raise or answer in a set order; sleeping and the clock are faked, so the
schedule is checked without waiting. Every case runs under both `invoke` and `ainvoke`.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from langchain_core.messages import BaseMessage, HumanMessage

from asymroute.context import RouterContext
from asymroute.graphs.router import build_router
from asymroute.model_calls import acall_tier, call_tier
from asymroute.planning import RouterSetup
from asymroute.records import ENDPOINT_COOLDOWN, FRONTIER_FAILED
from asymroute.resilience import BreakerRegistry, Resilience, request_attempt_bound
from asymroute.settings import Settings
from tests.support.scripted_models import FakeTime, ScriptedProvider, StatusError


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "ASYMROUTE_FRONTIER_MAX_RETRIES": 2,
        "ASYMROUTE_LOCAL_MAX_RETRIES": 0,
        "ASYMROUTE_RETRY_BASE_DELAY_S": 0.5,
        "ASYMROUTE_RETRY_MAX_DELAY_S": 4.0,
        "ASYMROUTE_RETRY_AFTER_MAX_S": 10.0,
        "ASYMROUTE_BREAKER_FAILURES": 0,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def make_setup(fake_time: FakeTime, config: Settings, **context: Any) -> RouterSetup:
    breakers = BreakerRegistry(
        config.breaker_failure_threshold, config.breaker_cooldown_s, clock=fake_time.clock
    )
    resilience = Resilience(
        breakers=breakers,
        rng=random.Random(0),
        sleep=fake_time.sleep,
        asleep=fake_time.asleep,
        clock=fake_time.clock,
    )
    defaults = RouterContext(
        **{
            "local_model": "scripted:local",
            "frontier_model": "scripted:frontier",
            "classifier": "keywords",
            **context,
        }
    )
    return RouterSetup(settings=config, defaults=defaults, resilience=resilience)


def run_call(mode: str, setup: RouterSetup, tier: Any, messages: list[BaseMessage]) -> Any:
    plan = setup.plan(None)
    if mode == "invoke":
        return call_tier(plan, tier, messages, setup)
    return asyncio.run(acall_tier(plan, tier, messages, setup))


MODES = ["invoke", "ainvoke"]
PROMPT = [HumanMessage("What is 2+3?")]


@pytest.mark.parametrize("mode", MODES)
def test_transient_failures_are_retried_with_backoff_and_every_attempt_is_recorded(
    mode: str, scripted: ScriptedProvider, fake_time: FakeTime
) -> None:
    scripted.script("frontier", StatusError(503), ConnectionResetError("reset"), "ok")
    call = run_call(mode, make_setup(fake_time, settings()), "frontier", PROMPT)

    assert call.error is None and call.message.content == "The answer is 5."
    assert call.usage["attempts"] == 3
    assert [e.split(":")[0] for e in call.usage["attempt_errors"]] == [
        "StatusError",
        "ConnectionResetError",
    ]
    assert scripted.calls("frontier") == 3
    assert len(fake_time.sleeps) == 2
    assert 0 <= fake_time.sleeps[0] <= 0.5 and 0 <= fake_time.sleeps[1] <= 1.0
    assert call.usage["latency_s"] == pytest.approx(sum(fake_time.sleeps), abs=0.01)
    assert (call.usage["input_tokens"], call.usage["output_tokens"]) == (10, 5)


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_is_waited_for(
    mode: str, scripted: ScriptedProvider, fake_time: FakeTime
) -> None:
    scripted.script("frontier", StatusError(429, retry_after="3"), "ok")
    call = run_call(mode, make_setup(fake_time, settings()), "frontier", PROMPT)

    assert call.error is None and call.usage["attempts"] == 2
    assert fake_time.sleeps == [3.0]


@pytest.mark.parametrize("mode", MODES)
def test_a_retry_after_beyond_the_cap_fails_at_once(
    mode: str, scripted: ScriptedProvider, fake_time: FakeTime
) -> None:
    scripted.script("frontier", StatusError(429, retry_after="3600"))
    call = run_call(mode, make_setup(fake_time, settings()), "frontier", PROMPT)

    assert call.message is None and "429" in call.error
    assert call.usage["attempts"] == 1 and fake_time.sleeps == []


@pytest.mark.parametrize("mode", MODES)
def test_permanent_failures_are_not_retried(
    mode: str, scripted: ScriptedProvider, fake_time: FakeTime
) -> None:
    scripted.script("frontier", StatusError(400))
    call = run_call(mode, make_setup(fake_time, settings()), "frontier", PROMPT)

    assert call.usage["attempts"] == 1 and call.error.startswith("StatusError")
    assert fake_time.sleeps == []


@pytest.mark.parametrize("mode", MODES)
def test_attempts_stop_at_the_limit(
    mode: str, scripted: ScriptedProvider, fake_time: FakeTime
) -> None:
    scripted.script("frontier", *[StatusError(500)] * 10)
    call = run_call(mode, make_setup(fake_time, settings()), "frontier", PROMPT)

    assert call.message is None and call.usage["attempts"] == 3
    assert len(call.usage["attempt_errors"]) == 3 and len(fake_time.sleeps) == 2
    assert scripted.calls("frontier") == 3


@pytest.mark.parametrize("mode", MODES)
def test_no_attempt_starts_that_could_not_finish_before_the_deadline(
    mode: str, scripted: ScriptedProvider, fake_time: FakeTime
) -> None:
    # One attempt may take connect 1 s + read 2 s; the deadline of 4 s leaves room for one.
    config = settings(
        ASYMROUTE_CALL_DEADLINE_S=4,
        ASYMROUTE_FRONTIER_TIMEOUT_S=2,
        ASYMROUTE_CONNECT_TIMEOUT_S=1,
        ASYMROUTE_RETRY_BASE_DELAY_S=2,
    )
    scripted.script("frontier", StatusError(500, retry_after="2"), StatusError(500), "ok")
    call = run_call(mode, make_setup(fake_time, config), "frontier", PROMPT)

    assert call.message is None and call.usage["attempts"] == 1


@pytest.mark.parametrize("mode", MODES)
def test_an_empty_frontier_completion_is_a_failure_but_an_empty_local_one_is_validated(
    mode: str, scripted: ScriptedProvider, fake_time: FakeTime
) -> None:
    scripted.script("frontier", "")
    scripted.script("local", "")
    setup = make_setup(fake_time, settings())

    frontier = run_call(mode, setup, "frontier", PROMPT)
    local = run_call(mode, setup, "local", PROMPT)

    assert frontier.message is None and frontier.error.startswith("EmptyCompletion")
    assert frontier.usage["attempts"] == 1  # not transient: not retried
    assert frontier.usage["input_tokens"] == 10  # the empty reply was still billed
    assert local.error is None and local.message.content == ""


def invoke(mode: str, graph: Any, prompt: str = "What is 2+3?", **kwargs: Any) -> Any:
    payload = {"messages": [("user", prompt)]}
    if mode == "invoke":
        return graph.invoke(payload, **kwargs)
    return asyncio.run(graph.ainvoke(payload, **kwargs))


@pytest.fixture
def router(monkeypatch: pytest.MonkeyPatch) -> Any:
    """build_router with the setup's fake clock and sleep in place of the real ones."""

    def build(setup: RouterSetup) -> Any:
        monkeypatch.setattr(
            Resilience, "from_settings", classmethod(lambda cls, s: setup.resilience)
        )
        return build_router(setup.settings, setup.defaults)

    return build


@pytest.mark.parametrize("mode", MODES)
def test_a_failing_frontier_is_retried_then_the_local_answer_is_flagged(
    mode: str, scripted: ScriptedProvider, fake_time: FakeTime, router: Any
) -> None:
    scripted.script("frontier", *[StatusError(503)] * 3)
    graph = router(make_setup(fake_time, settings(), threshold=0.0))
    state = invoke(mode, graph)

    assert state["answered_by"] == "local" and FRONTIER_FAILED in state["flags"]
    assert [(u["tier"], u["attempts"]) for u in state["usage"]] == [("frontier", 3), ("local", 1)]


@pytest.mark.parametrize("mode", MODES)
def test_cooldown_skips_the_endpoint_routes_to_the_other_tier_and_probes_later(
    mode: str, scripted: ScriptedProvider, fake_time: FakeTime, router: Any
) -> None:
    config = settings(ASYMROUTE_BREAKER_FAILURES=3, ASYMROUTE_BREAKER_COOLDOWN_S=60)
    graph = router(make_setup(fake_time, config, threshold=0.0))
    scripted.script("frontier", *[StatusError(500)] * 3)

    first = invoke(mode, graph)  # three failed attempts open the frontier's breaker
    assert [u["attempts"] for u in first["usage"]] == [3, 1]
    frontier_calls = scripted.calls("frontier")

    second = invoke(mode, graph)
    assert scripted.calls("frontier") == frontier_calls  # skipped: nothing sent
    assert second["answered_by"] == "local" and ENDPOINT_COOLDOWN in second["flags"]
    assert second["decision"]["cooling_down"] == ["frontier"]
    assert second["decision"]["diverted_to"] == "local"
    assert any(r.startswith("cooldown:") for r in second["decision"]["reasons"])
    assert [(u["tier"], u["attempts"]) for u in second["usage"]] == [("local", 1)]

    fake_time.now += 61  # the cooldown is over: the next request probes the frontier
    third = invoke(mode, graph)
    assert third["answered_by"] == "frontier" and ENDPOINT_COOLDOWN not in third["flags"]
    assert scripted.calls("frontier") == frontier_calls + 1


@pytest.mark.parametrize("mode", MODES)
def test_a_local_endpoint_cooling_down_sends_requests_to_the_frontier(
    mode: str, scripted: ScriptedProvider, fake_time: FakeTime, router: Any
) -> None:
    config = settings(ASYMROUTE_BREAKER_FAILURES=1, ASYMROUTE_BREAKER_COOLDOWN_S=60)
    graph = router(make_setup(fake_time, config, threshold=1.0))
    scripted.script("local", ConnectionRefusedError("refused"))

    first = invoke(mode, graph)
    assert first["escalated"] and first["answered_by"] == "frontier"
    second = invoke(mode, graph)

    assert second["decision"]["tier"] == "local" and second["decision"]["diverted_to"] == "frontier"
    assert second["answered_by"] == "frontier" and not second["escalated"]
    assert [u["tier"] for u in second["usage"]] == ["frontier"]
    assert scripted.calls("local") == 1


@pytest.mark.parametrize("mode", MODES)
def test_both_endpoints_down_ends_in_a_clear_error_after_a_bounded_number_of_calls(
    mode: str, scripted: ScriptedProvider, fake_time: FakeTime, router: Any
) -> None:
    from asymroute.errors import NoAnswerError

    config = settings(ASYMROUTE_LOCAL_MAX_RETRIES=1)
    scripted.script("local", *[ConnectionRefusedError("refused")] * 10)
    scripted.script("frontier", *[StatusError(503)] * 10)
    graph = router(make_setup(fake_time, config, threshold=1.0))

    with pytest.raises(NoAnswerError, match="no tier could answer"):
        invoke(mode, graph)
    sent = scripted.calls("local") + scripted.calls("frontier")
    assert sent == request_attempt_bound(config) == 2 + 3
