"""The request boundary: reading the prompt and accepting incoming messages."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from asymroute.errors import InvalidRequestError
from asymroute.requests import add_request_messages, content_text, request_prompt

# --- request_prompt ------------------------------------------------------------------------


def test_request_prompt_returns_the_latest_user_turn() -> None:
    messages = [
        SystemMessage("Be brief."),
        HumanMessage("first question"),
        AIMessage("first answer"),
        HumanMessage("second question"),
    ]

    assert request_prompt(messages, max_chars=1000) == "second question"


def test_request_prompt_rejects_an_empty_list() -> None:
    with pytest.raises(InvalidRequestError, match="the request has no messages"):
        request_prompt([], max_chars=1000)


def test_request_prompt_rejects_a_conversation_without_user_message() -> None:
    with pytest.raises(InvalidRequestError, match="no user message; add one with role 'user'"):
        request_prompt([SystemMessage("Be brief."), AIMessage("hello")], max_chars=1000)


@pytest.mark.parametrize("prompt", ["", "   ", "\n\t"])
def test_request_prompt_rejects_an_empty_or_whitespace_prompt(prompt: str) -> None:
    with pytest.raises(InvalidRequestError, match="empty or whitespace only"):
        request_prompt([HumanMessage(prompt)], max_chars=1000)


def test_request_prompt_rejects_a_request_over_the_character_limit() -> None:
    messages = [SystemMessage("x" * 6), HumanMessage("y" * 5)]

    with pytest.raises(InvalidRequestError) as raised:
        request_prompt(messages, max_chars=10)

    assert str(raised.value) == (
        "the request is 11 characters, over the limit of 10; "
        "shorten it or raise ASYMROUTE_MAX_PROMPT_CHARS"
    )


def test_request_prompt_accepts_a_request_exactly_at_the_limit() -> None:
    assert request_prompt([HumanMessage("y" * 10)], max_chars=10) == "y" * 10


def test_request_prompt_reads_text_from_content_blocks() -> None:
    message = HumanMessage(
        content=[
            {"type": "text", "text": "Describe "},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
            "this ",
            {"type": "text", "text": "picture."},
        ]
    )

    assert request_prompt([message], max_chars=1000) == "Describe this picture."


def test_request_prompt_rejects_content_blocks_without_text() -> None:
    message = HumanMessage(content=[{"type": "image_url", "image_url": {"url": "x"}}])

    with pytest.raises(InvalidRequestError, match="empty or whitespace only"):
        request_prompt([message], max_chars=1000)


def test_content_text_of_a_string_message_is_the_string() -> None:
    assert content_text(AIMessage("plain")) == "plain"


# --- add_request_messages ------------------------------------------------------------------


@pytest.mark.parametrize(
    "incoming",
    [
        ("user", "hello"),
        ["user", "hello"],
        {"role": "user", "content": "hello"},
        HumanMessage("hello"),
        "hello",
    ],
)
def test_add_request_messages_accepts_each_message_form(incoming: object) -> None:
    merged = add_request_messages([], [incoming])

    assert len(merged) == 1
    assert isinstance(merged[0], HumanMessage)
    assert merged[0].content == "hello"


def test_add_request_messages_appends_to_the_conversation() -> None:
    earlier = HumanMessage("first", id="1")

    merged = add_request_messages([earlier], [("assistant", "reply"), ("user", "second")])

    assert [(m.type, m.content) for m in merged] == [
        ("human", "first"),
        ("ai", "reply"),
        ("human", "second"),
    ]


def test_add_request_messages_accepts_a_single_message() -> None:
    merged = add_request_messages([], HumanMessage("alone"))

    assert [m.content for m in merged] == ["alone"]


@pytest.mark.parametrize(
    ("incoming", "message"),
    [
        ([("user", 123)], "message 0 has int content"),
        ([("user", "ok"), ("user", None)], "message 1 has NoneType content"),
        ([{"role": "user", "content": 4.5}], "message 0 has float content"),
        ([{"role": "user"}], "message 0 has NoneType content"),
        ([object()], "message 0 is a object"),
        ([42], "message 0 is a int"),
        ([("user", "a", "b")], "message 0 is a tuple"),
    ],
)
def test_add_request_messages_rejects_malformed_messages(
    incoming: list[object], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        add_request_messages([], incoming)


def test_add_request_messages_reports_an_unknown_role_as_invalid_request() -> None:
    with pytest.raises(InvalidRequestError) as raised:
        add_request_messages([], [{"role": "robot", "content": "beep"}])

    assert str(raised.value).startswith("messages could not be read (")
    assert "robot" in str(raised.value)
    assert str(raised.value).endswith("or LangChain messages")
