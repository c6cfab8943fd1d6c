"""The chat graph's state: the conversation, one route record per turn, per-thread totals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from langchain_core.messages import AnyMessage
from typing_extensions import TypedDict

from asymroute.errors import InvalidRequestError
from asymroute.requests import add_request_messages
from asymroute.route_records import RouteRecord, UsageTotals, add_usage, route_record


class TurnRecord(RouteRecord):
    turn: int
    """1-based number of the turn on this thread."""


def turn_log(left: Sequence[TurnRecord], right: Sequence[TurnRecord]) -> list[TurnRecord]:
    return [*left, *right]


class ChatInput(TypedDict):
    messages: Annotated[list[AnyMessage], add_request_messages]


class ChatState(ChatInput, total=False):
    turns: Annotated[list[TurnRecord], turn_log]
    totals: UsageTotals
    """This thread so far: calls per tier, tokens, cost."""


def thread_spent(state: Mapping[str, Any]) -> float:
    totals = state.get("totals")
    return float(totals["cost_usd"]) if totals else 0.0


def check_turn_input(state: Mapping[str, Any]) -> None:
    """A turn answers a user message; a thread whose last message is an answer has none."""
    messages = state.get("messages") or []
    if not messages or messages[-1].type != "human":
        raise InvalidRequestError(
            "a chat turn needs a new user message; send {'messages': [('user', '...')]}"
        )


def finish_turn(state: Mapping[str, Any], router_state: Mapping[str, Any]) -> dict[str, Any]:
    turn = len(state.get("turns") or []) + 1
    record = TurnRecord(turn=turn, **route_record(router_state))
    return {
        "messages": [router_state["messages"][-1]],
        "turns": [record],
        "totals": add_usage(state.get("totals"), record["usage"]),
    }
