"""A chat turn cut off mid-call (the process killed) is resumed or withdrawn on start, visibly.

A `BaseException` raised from the frontier call stands in for `kill -9`: nothing in the graph
catches it, so the thread is left exactly as a killed process leaves it (the turn's message
saved, `chat_turn` still to run, the router subgraph checkpointed up to the call).
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from asymroute.chat_recovery import (
    afind_pending_turn,
    aresume_pending_turn,
    find_pending_turn,
    resume_pending_turn,
    withdraw_pending_turn,
)
from asymroute.checkpoints import open_checkpointer
from asymroute.cli import main
from asymroute.context import RouterContext
from asymroute.graphs.chat import build_chat
from asymroute.graphs.router import build_router
from asymroute.settings import Settings
from tests.support.scripted_models import ScriptedProvider

REFUSAL = "I'm sorry, but I can't help with that."  # rejected: turn 3 escalates to the frontier
CONFIG: Any = {"configurable": {"thread_id": "T"}}
CONTEXT = RouterContext(
    local_model="scripted:local",
    frontier_model="scripted:frontier",
    classifier="heuristic",
    threshold=1.0,
)
CLI_MODELS = ["--local-model", "scripted:local", "--frontier-model", "scripted:frontier"]
CLI_MODELS += ["--classifier", "heuristic", "--threshold", "1.0"]


class Killed(BaseException):
    """What the process saw of `kill -9`: nothing after this point ran."""


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("ASYMROUTE_CHECKPOINT_PATH", str(tmp_path / "cp.sqlite"))
    return Settings(_env_file=None, checkpoint_path=tmp_path / "cp.sqlite")  # type: ignore[call-arg]


def crash_in_turn_3(settings: Settings, scripted: ScriptedProvider) -> None:
    with open_checkpointer(settings) as saver:
        graph = build_chat(build_router(settings, CONTEXT), saver)
        for question in ("What is 2+3?", "And 3+4?"):
            graph.invoke({"messages": [("user", question)]}, CONFIG, durability="sync")
        scripted.script("local", REFUSAL)
        scripted.script("frontier", Killed())
        with pytest.raises(Killed):
            graph.invoke({"messages": [("user", "And 5+6?")]}, CONFIG, durability="sync")


def roles(messages: list[BaseMessage]) -> list[str]:
    return [m.type for m in messages]


def test_a_cut_off_turn_is_found_and_resumed_without_repeating_the_finished_call(
    settings: Settings, scripted: ScriptedProvider
) -> None:
    crash_in_turn_3(settings, scripted)
    local_calls, frontier_calls = scripted.calls("local"), scripted.calls("frontier")
    with open_checkpointer(settings) as saver:  # a new process on the same thread
        graph = build_chat(build_router(settings, CONTEXT), saver)
        pending = find_pending_turn(graph, CONFIG)
        assert pending is not None and (pending.turn, pending.text) == (3, "And 5+6?")

        state = resume_pending_turn(graph, CONFIG, CONTEXT)

        assert scripted.calls("local") == local_calls  # its answer was checkpointed: not redone
        assert scripted.calls("frontier") == frontier_calls + 1
        assert [t["turn"] for t in state["turns"]] == [1, 2, 3]
        assert roles(state["messages"]) == ["human", "ai"] * 3
        assert find_pending_turn(graph, CONFIG) is None
        assert graph.get_state(CONFIG).next == ()


def test_a_withdrawn_turn_leaves_no_unanswered_question_behind(
    settings: Settings, scripted: ScriptedProvider
) -> None:
    crash_in_turn_3(settings, scripted)
    with open_checkpointer(settings) as saver:
        graph = build_chat(build_router(settings, CONTEXT), saver)
        pending = find_pending_turn(graph, CONFIG)
        assert pending is not None
        withdraw_pending_turn(graph, CONFIG, pending)
        assert graph.get_state(CONFIG).next == ()
        state = graph.invoke({"messages": [("user", "And 7+8?")]}, CONFIG)
    assert [m.content for m in state["messages"] if m.type == "human"] == [
        "What is 2+3?",
        "And 3+4?",
        "And 7+8?",
    ]
    assert [t["turn"] for t in state["turns"]] == [1, 2, 3]


def test_async_programs_find_and_resume_the_turn_too(
    settings: Settings, scripted: ScriptedProvider
) -> None:
    from asymroute.checkpoints import open_async_checkpointer

    crash_in_turn_3(settings, scripted)

    async def settle() -> dict[str, Any]:
        async with open_async_checkpointer(settings) as saver:
            graph = build_chat(build_router(settings, CONTEXT), saver)
            pending = await afind_pending_turn(graph, CONFIG)
            assert pending is not None and pending.turn == 3
            return await aresume_pending_turn(graph, CONFIG, CONTEXT)

    state = asyncio.run(settle())
    assert roles(state["messages"]) == ["human", "ai"] * 3


def cli(monkeypatch: pytest.MonkeyPatch, lines: str, *args: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    return main(["chat", "--thread", "T", *args, *CLI_MODELS])


def cli_crash_in_turn_3(monkeypatch: pytest.MonkeyPatch, scripted: ScriptedProvider) -> None:
    scripted.script("local", "ok", "ok", REFUSAL)
    scripted.script("frontier", Killed())
    with pytest.raises(Killed):
        cli(monkeypatch, "What is 2+3?\nAnd 3+4?\nAnd 5+6?\nnever read\n")


def test_the_cli_resumes_a_cut_off_turn_on_start_and_says_so(
    monkeypatch: pytest.MonkeyPatch, scripted: ScriptedProvider, settings: Settings, capsys: Any
) -> None:
    cli_crash_in_turn_3(monkeypatch, scripted)
    capsys.readouterr()

    assert cli(monkeypatch, "And 7+8?\n") == 0

    out = capsys.readouterr().out
    assert "turn 3 was cut off before its answer ('And 5+6?'): resuming it" in out
    assert "[asymroute] turn 3 | tier=frontier" in out and "[asymroute] turn 4 |" in out
    # The next input's model call sees a clean history: no question left unanswered.
    last_call = scripted.seen["local"][-1]
    assert roles(last_call) == ["human", "ai"] * 3 + ["human"]


def test_the_cli_can_withdraw_a_cut_off_turn_instead(
    monkeypatch: pytest.MonkeyPatch, scripted: ScriptedProvider, settings: Settings, capsys: Any
) -> None:
    cli_crash_in_turn_3(monkeypatch, scripted)
    capsys.readouterr()
    frontier_calls = scripted.calls("frontier")

    assert cli(monkeypatch, "And 7+8?\n", "--pending", "withdraw") == 0

    out = capsys.readouterr().out
    assert "turn 3 was cut off before its answer ('And 5+6?'): withdrawn" in out
    assert scripted.calls("frontier") == frontier_calls
    last_call = scripted.seen["local"][-1]
    assert [m.content for m in last_call if m.type == "human"][-2:] == ["And 3+4?", "And 7+8?"]
