"""Hypothesis strategies for hostile requests: odd unicode, wrong shapes, wrong roles."""

from __future__ import annotations

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
