"""The privacy policy: keep requests holding sensitive data off the frontier, or redact it.

- `off`: no checks.
- `route-local` (default): a request with a confident detection anywhere in its conversation is
  answered by the local tier, whatever its complexity score; no frontier call is made for it.
- `redact-before-frontier`: routing is unchanged, but every frontier call gets the conversation
  with each match replaced by a placeholder (`[REDACTED_EMAIL_1]`); the local tier sees the
  original. Placeholders in the frontier's answer are put back before the user sees it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from asymroute.privacy import find_sensitive, sensitive_categories
from asymroute.privacy.base import PRIVACY_REDACT, PRIVACY_ROUTE_LOCAL
from asymroute.requests import content_text


def model_visible_texts(message: BaseMessage) -> list[str]:
    """Every text of `message` a model is sent: its content, its `name`, its tool calls."""
    texts = [content_text(message)]
    if message.name:
        texts.append(message.name)
    for call in getattr(message, "tool_calls", None) or []:
        texts.append(str(call.get("name") or ""))
        texts.extend(_strings(call.get("args")))
    return texts


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in [str(key), *_strings(item)]]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


def conversation_categories(messages: Sequence[BaseMessage]) -> list[str]:
    """Sensitive categories in every message: the frontier would be sent all of them."""
    found: set[str] = set()
    for message in messages:
        for text in model_visible_texts(message):
            found.update(sensitive_categories(text))
    return sorted(found)


def frontier_blocked(mode: str, messages: Sequence[BaseMessage]) -> list[str]:
    """The categories that forbid sending `messages` to the frontier under `mode` ([] = allowed)."""
    return conversation_categories(messages) if mode == PRIVACY_ROUTE_LOCAL else []


@dataclass
class Redaction:
    placeholders: dict[str, str] = field(default_factory=dict)
    """placeholder -> original value; kept in memory for one call, never stored."""
    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def categories(self) -> list[str]:
        return sorted({p.split("_", 1)[1].rsplit("_", 1)[0].lower() for p in self.placeholders})

    def redact(self, text: str) -> str:
        out: list[str] = []
        cursor = 0
        for finding in find_sensitive(text):
            value = text[finding.start : finding.end]
            key = (finding.category, value)
            if key not in self._by_value:
                count = sum(1 for c, _ in self._by_value if c == finding.category) + 1
                placeholder = f"[REDACTED_{finding.category.upper()}_{count}]"
                self._by_value[key] = placeholder
                self.placeholders[placeholder] = value
            out += [text[cursor : finding.start], self._by_value[key]]
            cursor = finding.end
        out.append(text[cursor:])
        return "".join(out)

    def restore(self, text: str) -> str:
        for placeholder, value in self.placeholders.items():
            text = text.replace(placeholder, value)
        return text


def redact_messages(messages: Sequence[BaseMessage]) -> tuple[list[BaseMessage], Redaction]:
    """Copies of `messages` with every match in a text a model sees replaced by a placeholder.

    A `name` holding sensitive data is dropped rather than replaced: providers only accept
    names of letters, digits, `_` and `-`, which a placeholder is not.
    """
    redaction = Redaction()
    redacted: list[BaseMessage] = []
    for message in messages:
        content = message.content
        update: dict[str, Any] = {}
        if isinstance(content, str):
            update["content"] = redaction.redact(content)
        else:
            update["content"] = [_redact_block(block, redaction) for block in content]
        if message.name and redaction.redact(message.name) != message.name:
            update["name"] = None
        if getattr(message, "tool_calls", None):
            update["tool_calls"] = [
                {**call, "args": _redact_value(call.get("args"), redaction)}
                for call in message.tool_calls  # type: ignore[attr-defined]
            ]
        redacted.append(message.model_copy(update=update))
    return redacted, redaction


def _redact_value(value: Any, redaction: Redaction) -> Any:
    if isinstance(value, str):
        return redaction.redact(value)
    if isinstance(value, dict):
        return {key: _redact_value(item, redaction) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_value(item, redaction) for item in value]
    return value


def _redact_block(block: str | dict, redaction: Redaction) -> str | dict:
    if isinstance(block, str):
        return redaction.redact(block)
    if block.get("type") == "text" and isinstance(block.get("text"), str):
        return {**block, "text": redaction.redact(block["text"])}
    return block


def restore_answer(message: AIMessage, redaction: Redaction) -> AIMessage:
    if not redaction.placeholders or not isinstance(message.content, str):
        return message
    update: dict[str, Any] = {"content": redaction.restore(message.content)}
    if more := message.response_metadata.get("more_choices"):  # n > 1 (providers.openai)
        restored = [
            {**choice, "content": redaction.restore(str(choice.get("content") or ""))}
            for choice in more
        ]
        update["response_metadata"] = {**message.response_metadata, "more_choices": restored}
    return message.model_copy(update=update)


@dataclass
class Outgoing:
    """What a tier call may send: the messages, and what to undo in the answer."""

    messages: list[BaseMessage]
    redaction: Redaction | None = None
    blocked: list[str] = field(default_factory=list)
    """Sensitive categories that forbid the call under `route-local`."""


def outgoing(mode: str, tier: str, messages: Sequence[BaseMessage]) -> Outgoing:
    """The local tier always sees the original; the frontier, what the policy allows."""
    if tier != "frontier" or mode not in (PRIVACY_ROUTE_LOCAL, PRIVACY_REDACT):
        return Outgoing(list(messages))
    if mode == PRIVACY_ROUTE_LOCAL:
        return Outgoing(list(messages), blocked=conversation_categories(messages))
    redacted, redaction = redact_messages(messages)
    return Outgoing(redacted, redaction)
