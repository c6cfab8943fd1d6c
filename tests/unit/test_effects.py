"""The one effect driver: drive, adrive and tap run the same steps to the same result."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage

from asymroute.effects import CallTier, ModelCall, Steps, adrive, drive, tap
from tests.unit.steps_driver import drive_scripted, no_calls, scripted_call


def two_calls(prefix: str) -> Steps[str]:
    first = yield CallTier("local", [HumanMessage(f"{prefix} one")])
    second = yield CallTier("frontier", [HumanMessage(f"{prefix} two")])
    return f"{first.message.content if first.message else first.error}+{second.finish_reason}"


def echo(effect: CallTier) -> ModelCall:
    return scripted_call(f"{effect.tier}:{effect.messages[0].content}")


def test_drive_answers_each_effect_in_order_and_returns_the_result() -> None:
    seen: list[CallTier] = []

    def handle(effect: CallTier) -> ModelCall:
        seen.append(effect)
        return echo(effect)

    assert drive(two_calls("a"), handle) == "local:a one+stop"
    assert [e.tier for e in seen] == ["local", "frontier"]
    assert [e.messages[0].content for e in seen] == ["a one", "a two"]


def test_adrive_gives_the_same_result_with_an_async_handler() -> None:
    async def ahandle(effect: CallTier) -> ModelCall:
        await asyncio.sleep(0)
        return echo(effect)

    assert asyncio.run(adrive(two_calls("a"), ahandle)) == drive(two_calls("a"), echo)


def test_steps_without_effects_return_at_once() -> None:
    def no_effects() -> Steps[int]:
        return 7
        yield  # a generator that never yields

    assert drive(no_effects(), no_calls) == 7
    assert asyncio.run(adrive(no_effects(), lambda effect: asyncio.sleep(0, no_calls(effect)))) == 7


def test_tap_passes_effects_through_and_keeps_each_reply() -> None:
    replies: list[ModelCall] = []

    def outer() -> Steps[tuple[str, int]]:
        inner = yield from tap(two_calls("b"), replies)
        return inner, len(replies)

    scripted = [scripted_call("", "Timeout"), scripted_call("ok")]
    pending = iter(scripted)
    assert drive(outer(), lambda effect: next(pending)) == ("Timeout+stop", 2)
    assert replies == scripted


def test_an_error_in_the_handler_reaches_the_caller() -> None:
    with pytest.raises(AssertionError, match="no call expected, got one to the local tier"):
        drive(two_calls("c"), no_calls)
    with pytest.raises(AssertionError, match="no call expected"):
        asyncio.run(adrive(two_calls("c"), lambda effect: asyncio.sleep(0, no_calls(effect))))


def test_scripted_replies_assert_the_local_tier() -> None:
    with pytest.raises(AssertionError, match="local model only"):
        drive_scripted(two_calls("d"), [scripted_call("x"), scripted_call("y")])


def test_only_the_driver_steps_a_generator_by_hand() -> None:
    """The sync/async mirror and `StopIteration` live in `asymroute/effects.py` alone."""
    root = Path(__file__).resolve().parents[2]
    sources = [
        path
        for folder in ("asymroute", "nodes", "graphs", "tests", "bench")
        for path in (root / folder).rglob("*.py")
        if path != root / "asymroute" / "effects.py" and path != Path(__file__).resolve()
    ]
    assert len(sources) > 100
    trampolines = [
        str(path.relative_to(root))
        for path in sources
        if "StopIteration" in path.read_text(encoding="utf-8")
    ]
    assert trampolines == []
