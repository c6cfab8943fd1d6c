"""chat_turn: answer the latest user message, routed in the light of the whole conversation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph.types import StreamWriter

from asymroute.chat import ChatState, check_turn_input, finish_turn, thread_spent, withdraw_turn
from asymroute.nodes.dual import DualRunnable
from asymroute.nodes.router_call import RouterRequest, router_node


def make_chat_turn(router: Any) -> DualRunnable:
    def prepare(state: ChatState) -> RouterRequest:
        check_turn_input(state)
        # The router sees every turn: the follow-up policy and the model both need them.
        return RouterRequest(list(state["messages"]), thread_spent_usd=thread_spent(state))

    def finish(
        state: ChatState, result: Mapping[str, Any] | None, writer: StreamWriter
    ) -> dict[str, Any]:
        assert result is not None
        update = finish_turn(state, result)
        writer({"chat": "turn", "record": update["turns"][0], "totals": update["totals"]})
        return update

    return router_node("chat_turn", router, prepare, finish, on_error=withdraw_turn)
