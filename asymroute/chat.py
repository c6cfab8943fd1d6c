"""The chat graph's state: the conversation, one route record per turn, per-thread totals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from langchain_core.messages import AnyMessage, RemoveMessage
from typing_extensions import TypedDict

from asymroute import errors
from asymroute.errors import AsymrouteError, InvalidRequestError
from asymroute.records import RouteRecord, UsageTotals, add_usage, route_record
from asymroute.requests import add_request_messages


class TurnRecord(RouteRecord):
    turn: int
    """1-based number of the turn on this thread."""


def turn_log(left: Sequence[TurnRecord], right: Sequence[TurnRecord]) -> list[TurnRecord]:
    return [*left, *right]


class ChatInput(TypedDict):
    messages: Annotated[list[AnyMessage], add_request_messages]


class FailedTurn(TypedDict):
    error: str
    """The class name of the error, in `asymroute.errors`."""
    message: str


class ChatState(ChatInput, total=False):
    turns: Annotated[list[TurnRecord], turn_log]
    totals: UsageTotals
    """This thread so far: calls per tier, tokens, cost."""
    failed_turn: FailedTurn | None
    """The last turn's error, once its user message is withdrawn; `fail_turn` raises it."""


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


def withdraw_turn(state: Mapping[str, Any], error: AsymrouteError) -> dict[str, Any]:
    """A turn that fails leaves the thread as it was: its user message is taken back, so the
    next turn does not find an unanswered message (and a retry does not send it twice)."""
    return {
        "messages": [RemoveMessage(id=state["messages"][-1].id)],
        "failed_turn": FailedTurn(error=type(error).__name__, message=str(error)),
    }


def failed_turn_error(failed: FailedTurn) -> AsymrouteError:
    """The withdrawn turn's error, rebuilt with its own class for the caller to catch."""
    error_class = getattr(errors, failed["error"], None)
    if not (isinstance(error_class, type) and issubclass(error_class, AsymrouteError)):
        error_class = AsymrouteError
    return error_class(failed["message"])


def after_turn(state: Mapping[str, Any]) -> Literal["fail_turn", "__end__"]:
    return "fail_turn" if state.get("failed_turn") else "__end__"


def finish_turn(state: Mapping[str, Any], router_state: Mapping[str, Any]) -> dict[str, Any]:
    turn = len(state.get("turns") or []) + 1
    record = TurnRecord(turn=turn, **route_record(router_state))
    return {
        "messages": [router_state["messages"][-1]],
        "turns": [record],
        "totals": add_usage(state.get("totals"), record["usage"]),
        "failed_turn": None,
    }
