"""fail_turn: raise the error of a chat turn whose user message was withdrawn.

It runs after `chat_turn` has saved the thread without that message, so the caller gets the
error and the thread stays as it was before the turn.
"""

from __future__ import annotations

from typing import Any

from asymroute.chat import ChatState, failed_turn_error


def fail_turn(state: ChatState) -> dict[str, Any]:
    failed = state.get("failed_turn")
    assert failed is not None, "fail_turn runs only after a failed turn"
    raise failed_turn_error(failed)
