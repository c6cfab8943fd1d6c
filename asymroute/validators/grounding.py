"""grounding: a local answer in a tool run must carry the values the conversation gave it.

`tool_calls` passes any call that matches its tool's schema; a small model's typical agent
failure is schema-valid and wrong: a call whose value nobody gave (`to_fahrenheit(celsius=
30.72)` for Paris), a final answer that does not state the tool's result (a different sum, a
formula instead of the value), a text answer inventing the value a tool was offered to fetch.
On a run that offers tools (on by default, `tool_grounding`), a local answer fails when:

- a tool call's argument value has no source: each number, and each short string (a name, a
  city, an id: at most `MAX_COPIED_WORDS` words), must appear in the conversation before it
  (the user's and system text, earlier tool results and calls). Values the tool's schema
  itself lists (`enum`, `const`, `default`) need none; longer strings are composed text (a
  message to send, a search query) and are not checked; booleans and nulls are not values a
  conversation carries;
- a text answer to tool results states none of their values: their numbers (one rounded to
  the answer's precision counts: 64.4 as "about 64") and the words they brought (four letters
  or more, in no earlier message: "sunny" of "18C and sunny in Paris"). Results with neither
  are not checked;
- a text answer to a user turn states a number the conversation does not contain: a tool was
  offered to get it, and the model made it up instead.

The checks read only the answer and its conversation (no model call, microseconds). They
judge whether the values were taken from the conversation, not whether they are right: a
wrong value copied from the user's text passes, a right value the model computed itself
fails (and the frontier answers that step).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from asymroute.requests import content_text
from asymroute.validators.base import CandidateAnswer, Judgement, ValidationPolicy

MAX_COPIED_WORDS = 3
"""A string argument of more words is composed by the model, not copied from the conversation."""
MAX_SHOWN = 3
NUMBER = re.compile(r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
"""A number standing on its own ("18C", "1,200", "-3.5"; not the 2 of "v2")."""
WORD = re.compile(r"\w+")
LIST_MARKER = re.compile(r"^\s*\d+[.)]\s", re.MULTILINE)
"""A numbered list's "1. " states no number."""
NEW_WORD = re.compile(r"[^\W\d_]{4,}")
"""A word a tool result may bring (letters only, at least four: not "and", not "18C")."""


class GroundingValidator:
    name = "grounding"
    kind = "check"

    def __init__(self, policy: ValidationPolicy) -> None:
        self.listed = {
            str(tool["function"]["name"]): frozenset(_schema_values(tool["function"]["parameters"]))
            for tool in policy.tools
        }
        self.tool_choice = policy.tool_choice

    def check(self, answer: CandidateAnswer) -> Judgement:
        if not self.listed or self.tool_choice == "none":
            return Judgement(True, ("no tools offered (or tool_choice none)",), 1.0)
        earlier = list(answer.messages)  # the conversation the answer replies to
        if answer.tool_calls:
            return self._check_calls(answer.tool_calls, earlier)
        if earlier and isinstance(earlier[-1], ToolMessage):
            return _check_report(answer.text, *_split_results(earlier))
        return _check_claims(answer.text, earlier)

    def _check_calls(
        self, calls: Sequence[Mapping[str, Any]], earlier: Sequence[BaseMessage]
    ) -> Judgement:
        source = _Source(earlier)
        missing = [
            f"{call['name']}({path}={value!r})"
            for call in calls
            for path, value in _leaves(call.get("args"), "")
            if not _listed(value, self.listed.get(str(call["name"]), frozenset()))
            and not source.carries(value)
        ]
        if missing:
            return _failed("tool call value(s) found nowhere in the conversation", missing)
        return Judgement(True, ("tool call values all come from the conversation",), 1.0)


class _Source:
    """The conversation's text, as numbers and words, for looking values up in."""

    def __init__(self, messages: Sequence[BaseMessage]) -> None:
        texts = [content_text(m) for m in messages]
        texts += [
            json.dumps(call.get("args"))
            for m in messages
            if isinstance(m, AIMessage)
            for call in m.tool_calls
        ]
        text = "\n".join(texts)
        self.numbers = numbers_in(text)
        self.words = {word.casefold() for word in WORD.findall(text)}
        self.folded = " ".join(text.casefold().split())

    def carries(self, value: Any) -> bool:
        if isinstance(value, int | float):
            return any(math.isclose(value, n, abs_tol=1e-9) for n in self.numbers)
        words = WORD.findall(str(value))
        if len(words) > MAX_COPIED_WORDS:
            return True  # composed text, not a value copied from the conversation
        folded = " ".join(str(value).casefold().split())
        return folded in self.folded or all(word.casefold() in self.words for word in words)


def numbers_in(text: str) -> list[float]:
    """Every number written in `text`: "1,200" is 1200, "-3" is -3, "3-4" is 3 and 4."""
    return [number for _, number in _stated(text)]


def _schema_values(schema: Any) -> Iterator[Any]:
    """The values a schema lists anywhere (enum, const, default): they need no source."""
    if isinstance(schema, Mapping):
        for key, value in schema.items():
            if key == "enum" and isinstance(value, list):
                yield from (v for v in value if isinstance(v, str | int | float))
            elif key in ("const", "default") and isinstance(value, str | int | float):
                yield value
            else:
                yield from _schema_values(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _schema_values(item)


def _listed(value: Any, listed: frozenset[Any]) -> bool:
    return any(type(value) is type(item) and value == item for item in listed)


def _leaves(args: Any, path: str) -> Iterator[tuple[str, Any]]:
    """The argument values a conversation could carry: numbers and strings, by their path."""
    if isinstance(args, Mapping):
        for key, value in args.items():
            yield from _leaves(value, f"{path}.{key}" if path else str(key))
    elif isinstance(args, list):
        for index, item in enumerate(args):
            yield from _leaves(item, f"{path}[{index}]")
    elif (isinstance(args, str) and args.strip()) or (
        isinstance(args, int | float) and not isinstance(args, bool)
    ):
        yield path, args


def _split_results(messages: Sequence[BaseMessage]) -> tuple[list[BaseMessage], list[str]]:
    """The conversation before the tool results that end it, and those results (the ones this
    answer reports)."""
    start = len(messages)
    while start > 0 and isinstance(messages[start - 1], ToolMessage):
        start -= 1
    return list(messages[:start]), [content_text(m) for m in messages[start:]]


def _check_report(text: str, before: Sequence[BaseMessage], results: Sequence[str]) -> Judgement:
    """A report must state a number of the results, or a word they brought (at least
    `MIN_NEW_WORD` letters, found nowhere before them: "sunny" of "18C and sunny in Paris")."""
    expected = [n for result in results for n in numbers_in(result)]
    known = _Source(before).words
    brought = {
        word.casefold()
        for result in results
        for word in NEW_WORD.findall(result)
        if word.casefold() not in known
    }
    if not expected and not brought:
        return Judgement(True, ("the tool results carry no value to check",), 1.0)
    stated = _stated(text)
    said = {word.casefold() for word in NEW_WORD.findall(text)}
    if any(_states(number, stated) for number in expected) or brought & said:
        return Judgement(True, ("the answer states the tool result",), 1.0)
    shown = sorted({f"{n:g}" for n in expected} | brought)
    return _failed("the answer states none of the tool results' values", shown)


def _check_claims(text: str, earlier: Sequence[BaseMessage]) -> Judgement:
    source = _Source(earlier)
    claims = _stated(LIST_MARKER.sub("", text))
    invented = sorted({raw for raw, number in claims if not source.carries(number)})
    if invented:
        return _failed(
            "the answer states number(s) no message gave instead of calling a tool", invented
        )
    return Judgement(True, ("the answer's numbers all come from the conversation",), 1.0)


def _stated(text: str) -> list[tuple[str, float]]:
    """Each number the text states, with how it was written (for its precision)."""
    plain = text.replace("\u2212", "-")  # the minus sign
    return [(raw, float(raw.replace(",", ""))) for raw in NUMBER.findall(plain)]


def _states(expected: float, stated: Sequence[tuple[str, float]]) -> bool:
    """Whether a stated number is `expected`, or `expected` rounded to the stated precision."""
    for raw, number in stated:
        decimals = len(raw.partition(".")[2])
        if math.isclose(number, expected, abs_tol=1e-9):
            return True
        rounded = abs(expected - number) <= 0.5 * 10**-decimals
        if rounded and not float(expected).is_integer():
            return True
    return False


def _failed(why: str, values: Sequence[str]) -> Judgement:
    more = len(values) - MAX_SHOWN
    shown = ", ".join(values[:MAX_SHOWN]) + (f" (and {more} more)" if more > 0 else "")
    return Judgement(False, (f"{why}: {shown}",), 0.0)
