"""Hypothesis strategies for hostile requests: odd unicode, wrong shapes, wrong roles, lone
surrogates, deep nesting, huge integers and huge message counts."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# Every code point, lone surrogates and control characters included.
ANY_CHAR = st.characters(codec=None, exclude_categories=())
ANY_TEXT = st.text(alphabet=ANY_CHAR, max_size=60)
CONTROL_TEXT = st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=20)
HUGE_TEXT = st.sampled_from(["a", "é", "\ud800", " ", "sk-", "4111 "]).flatmap(
    lambda unit: st.integers(1_000, 60_000).map(lambda n: unit * n)
)
TEXT = st.one_of(ANY_TEXT, CONTROL_TEXT, HUGE_TEXT, st.just(""), st.just("What is 2+3?"))
ROLES = st.one_of(
    st.sampled_from(["user", "assistant", "system", "human", "ai", "tool", "function"]),
    st.sampled_from(["developer", "USER", "", "bot"]),
    ANY_TEXT,
)
JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), ANY_TEXT)
JSON_ANY = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(ANY_TEXT, inner, max_size=4)
    ),
    max_leaves=30,
)
DEEP = st.integers(1, 200).map(lambda depth: _nest(depth))
CONTENT = st.one_of(
    TEXT,
    st.lists(
        st.one_of(
            st.fixed_dictionaries({"type": st.just("text"), "text": TEXT}),
            st.fixed_dictionaries({"type": ANY_TEXT, "text": JSON_ANY}),
            ANY_TEXT,
            JSON_ANY,
        ),
        max_size=4,
    ),
    JSON_ANY,
    DEEP,
)
MESSAGE = st.one_of(
    st.tuples(ROLES, CONTENT),
    st.fixed_dictionaries({"role": ROLES, "content": CONTENT}),
    st.dictionaries(ANY_TEXT, JSON_ANY, max_size=3),
    TEXT,
    JSON_ANY,
)
MESSAGES = st.one_of(st.lists(MESSAGE, max_size=5), st.just([]), JSON_ANY, DEEP)


def _nest(depth: int) -> Any:
    value: Any = "deep"
    for level in range(depth):
        value = [value] if level % 2 else {"content": value}
    return value


# Hostile requests, each of which must be the request's own 400 and reach no model.
LONE_SURROGATE = st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d", "\ude00"])
SURROGATE_TEXT = st.tuples(st.text(max_size=20), LONE_SURROGATE, st.text(max_size=20)).map(
    "".join
)  # st.text leaves surrogates out: exactly one lone surrogate, somewhere in ordinary text
SURROGATE_MESSAGE = st.one_of(
    SURROGATE_TEXT.map(lambda text: {"role": "user", "content": text}),
    SURROGATE_TEXT.map(lambda text: {"role": "user", "content": [{"type": "text", "text": text}]}),
    SURROGATE_TEXT.map(lambda text: {"role": "user", "content": "hi", "name": text}),
    SURROGATE_TEXT.map(lambda text: ("user", text)),
)
NESTING_DEPTH = st.integers(5_000, 100_000)  # past the decoder's recursion limit, under 1 MB
HUGE_DIGITS = st.integers(4_301, 20_000)  # past Python's int-from-string limit
HUGE_MESSAGE_COUNT = st.sampled_from([1_001, 2_500, 20_000])  # past the gateway's default cap


def chat_body(messages: Any = None, **fields: Any) -> dict[str, Any]:
    return {"model": "asymroute", "messages": messages or [("user", "What is 2+3?")], **fields}


def json_bytes(value: Any) -> bytes:
    """JSON as a careless client sends it: lone surrogates escaped, not refused."""
    return json.dumps(value, ensure_ascii=True).encode()


def deep_body(depth: int, opener: str) -> bytes:
    """`messages` nested `depth` levels deep in arrays ("[") or objects ('{"a": ')."""
    inner = "[" * depth + "]" * depth if opener == "[" else opener * depth + "1" + "}" * depth
    return b'{"model": "asymroute", "messages": ' + inner.encode() + b"}"


def huge_integer_body(digits: int, field: str) -> bytes:
    head = json_bytes(chat_body())[:-1]
    return head + f', "{field}": '.encode() + b"9" * digits + b"}"


def many_messages_body(count: int) -> bytes:
    return json_bytes(chat_body([{"role": "user", "content": "hi"}] * count))


HOSTILE_BODY = st.one_of(
    st.lists(SURROGATE_MESSAGE, min_size=1, max_size=3).map(lambda ms: json_bytes(chat_body(ms))),
    st.tuples(NESTING_DEPTH, st.sampled_from(["[", '{"a": '])).map(lambda d: deep_body(*d)),
    st.tuples(
        HUGE_DIGITS, st.sampled_from(["max_tokens", "max_completion_tokens", "temperature"])
    ).map(lambda d: huge_integer_body(*d)),
    st.integers(1_000_001, 10**40).map(lambda n: json_bytes(chat_body(max_tokens=n))),
    HUGE_MESSAGE_COUNT.map(many_messages_body),
)
