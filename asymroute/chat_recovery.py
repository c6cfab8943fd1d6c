"""A chat turn cut off by a crash (kill -9, power loss) mid-call, found and settled on start.

The thread then ends in the turn's user message with `chat_turn` still to run. Left alone, the
next input is appended after that unanswered message, which is sent as context with every later
turn. So a program that opens a thread settles it first, visibly: `resume_pending_turn` runs the
turn again from its last checkpoint (the router subgraph resumes where it stopped: a model call
that had finished is neither repeated nor charged again), `withdraw_pending_turn` takes its
message back. `asymroute chat` does this on start (`--pending resume|withdraw`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.messages import BaseMessage, RemoveMessage

from asymroute.context import RouterContext
from asymroute.requests import content_text

TURN_NODE = "chat_turn"


@dataclass(frozen=True)
class PendingTurn:
    turn: int
    """The number the turn gets once answered (1-based)."""
    question: BaseMessage
    """The user message it was answering; the last message of the thread."""

    @property
    def text(self) -> str:
        return content_text(self.question)


def pending_in(snapshot: Any) -> PendingTurn | None:
    """The cut-off turn of a thread's state snapshot (`graph.get_state`), or None."""
    messages = snapshot.values.get("messages") or []
    if TURN_NODE not in snapshot.next or not messages or messages[-1].type != "human":
        return None
    return PendingTurn(len(snapshot.values.get("turns") or []) + 1, messages[-1])


def find_pending_turn(graph: Any, config: dict[str, Any]) -> PendingTurn | None:
    return pending_in(graph.get_state(config))


async def afind_pending_turn(graph: Any, config: dict[str, Any]) -> PendingTurn | None:
    return pending_in(await graph.aget_state(config))


def resume_pending_turn(
    graph: Any, config: dict[str, Any], context: RouterContext | None = None
) -> dict[str, Any]:
    """Finish the cut-off turn; the chat graph's final state, as `graph.invoke` returns it."""
    return dict(graph.invoke(None, config, context=context, durability="sync"))


async def aresume_pending_turn(
    graph: Any, config: dict[str, Any], context: RouterContext | None = None
) -> dict[str, Any]:
    return dict(await graph.ainvoke(None, config, context=context, durability="sync"))


def withdrawal(pending: PendingTurn) -> dict[str, Any]:
    """The state update that takes the turn's message back, as a failed turn's does."""
    return {"messages": [RemoveMessage(id=str(pending.question.id))], "failed_turn": None}


def withdraw_pending_turn(graph: Any, config: dict[str, Any], pending: PendingTurn) -> None:
    """Take the cut-off turn's message back; the thread is as it was before that turn."""
    graph.update_state(config, withdrawal(pending), as_node=TURN_NODE)


async def awithdraw_pending_turn(graph: Any, config: dict[str, Any], pending: PendingTurn) -> None:
    await graph.aupdate_state(config, withdrawal(pending), as_node=TURN_NODE)
