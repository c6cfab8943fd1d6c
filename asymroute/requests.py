"""The request boundary: turn incoming messages into a conversation, or say what is wrong."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AnyMessage, BaseMessage, HumanMessage
from langgraph.graph.message import add_messages

from asymroute.errors import InvalidRequestError
from asymroute.text_checks import find_lone_surrogate, surrogate_message

EXPECTED_FORM = (
    'pass messages as [("user", "text")], {"role": "user", "content": "text"} dicts, '
    "or LangChain messages"
)


def _check_raw_message(index: int, message: Any) -> None:
    """Catch the shapes LangChain would reject with an opaque error, or silently accept."""
    content: Any
    name: Any = None
    if isinstance(message, BaseMessage):
        content, name = message.content, message.name
    elif isinstance(message, tuple | list) and len(message) == 2:
        content = message[1]
    elif isinstance(message, dict):
        content, name = message.get("content"), message.get("name")
    elif isinstance(message, str):
        content = message
    else:
        raise InvalidRequestError(f"message {index} is a {type(message).__name__}; {EXPECTED_FORM}")
    if not isinstance(content, str | list):
        raise InvalidRequestError(
            f"message {index} has {type(content).__name__} content; content must be a string "
            "or a list of content blocks"
        )
    found = find_lone_surrogate({"content": content, "name": name}, f"message {index}")
    if found is not None:
        raise InvalidRequestError(surrogate_message(*found))


def add_request_messages(left: Sequence[AnyMessage], right: Any) -> list[AnyMessage]:
    """`add_messages`, with malformed input reported as `InvalidRequestError`."""
    incoming = right if isinstance(right, list) else [right]
    for index, message in enumerate(incoming):
        _check_raw_message(index, message)
    try:
        return add_messages(left, right)  # type: ignore[arg-type,return-value]
    except InvalidRequestError:
        raise
    except Exception as exc:  # LangChain raises several types for one kind of mistake
        raise InvalidRequestError(f"messages could not be read ({exc}); {EXPECTED_FORM}") from exc


def content_text(message: BaseMessage) -> str:
    """The text of a message whose content may be a string or a list of content blocks."""
    if isinstance(message.content, str):
        return message.content
    parts: list[str] = []
    for block in message.content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
    return "".join(parts)


def request_prompt(messages: Sequence[BaseMessage], max_chars: int) -> str:
    """The latest user turn, checked before any model is called."""
    if not messages:
        raise InvalidRequestError(f"the request has no messages; {EXPECTED_FORM}")
    user_turns = [m for m in messages if isinstance(m, HumanMessage)]
    if not user_turns:
        raise InvalidRequestError("the request has no user message; add one with role 'user'")
    prompt = content_text(user_turns[-1])
    if not prompt.strip():
        raise InvalidRequestError("the prompt is empty or whitespace only; send some text")
    total = sum(len(content_text(m)) for m in messages)
    if total > max_chars:
        raise InvalidRequestError(
            f"the request is {total} characters, over the limit of {max_chars}; "
            "shorten it or raise ASYMROUTE_MAX_PROMPT_CHARS"
        )
    return prompt
