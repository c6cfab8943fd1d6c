"""Sampling parameters and non-text content parts at the gateway's boundary."""

from __future__ import annotations

from typing import Any

import pytest

from asymroute.context import RouterContext
from asymroute.errors import ConfigurationError
from asymroute.gateway.completions import answer_choices, openai_logprobs, run_context
from asymroute.gateway.schemas import parse_chat_request
from asymroute.providers.sampling import Sampling, content_kinds
from tests.unit.test_gateway_requests import body, refused

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}


def test_sampling_parameters_are_read() -> None:
    request = parse_chat_request(
        body(
            n=3,
            seed=42,
            top_p=0.5,
            presence_penalty=0.25,
            frequency_penalty=-0.5,
            logprobs=True,
            top_logprobs=2,
            logit_bias={"50256": -100, "13": 5.5},
        )
    )
    assert request.sampling == Sampling(
        n=3,
        seed=42,
        top_p=0.5,
        presence_penalty=0.25,
        frequency_penalty=-0.5,
        logprobs=True,
        top_logprobs=2,
        logit_bias={"50256": -100, "13": 5.5},
    )
    assert request.sampling.requested() == (
        "n", "seed", "top_p", "presence_penalty", "frequency_penalty", "logprobs",
        "top_logprobs", "logit_bias",
    )  # fmt: skip


def test_defaults_ask_for_nothing() -> None:
    request = parse_chat_request(body(n=1, logprobs=False, seed=None))
    assert request.sampling.requested() == ()


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"n": 0}, "n"),
        ({"n": True}, "n"),
        ({"n": 2.0}, "n"),
        ({"n": 129}, "n"),
        ({"seed": "7"}, "seed"),
        ({"top_p": 1.5}, "top_p"),
        ({"top_p": True}, "top_p"),
        ({"presence_penalty": 3}, "presence_penalty"),
        ({"frequency_penalty": -2.5}, "frequency_penalty"),
        ({"logprobs": 1}, "logprobs"),
        ({"logprobs": True, "top_logprobs": 21}, "top_logprobs"),
        ({"top_logprobs": 2}, "top_logprobs"),
        ({"logit_bias": {"a": 1}}, "logit_bias"),
        ({"logit_bias": {"1": 101}}, "logit_bias"),
        ({"logit_bias": [1, 2]}, "logit_bias"),
        ({"reasoning_effort": "extreme"}, "reasoning_effort"),
        ({"reasoning_effort": ["low"]}, "reasoning_effort"),
    ],
)
def test_bad_sampling_values_are_named(fields: dict[str, Any], param: str) -> None:
    error = refused(body(**fields))
    assert error.param == param
    assert error.message.startswith(f"'{param}'")


def test_run_context_carries_the_sampling_parameters() -> None:
    request = parse_chat_request(
        body(n=2, seed=3, top_p=0.9, logprobs=True, top_logprobs=1, logit_bias={"7": 1})
    )
    context = run_context(request, RouterContext())
    assert (context.n, context.seed, context.top_p) == (2, 3, 0.9)
    assert (context.logprobs, context.top_logprobs, context.logit_bias) == (True, 1, {"7": 1})
    assert context.sampling() == request.sampling
    assert run_context(parse_chat_request(body()), RouterContext()) == RouterContext()
    effort = run_context(parse_chat_request(body(reasoning_effort="minimal")), RouterContext())
    assert effort.reasoning_effort == "minimal"


def test_an_image_part_becomes_a_content_block() -> None:
    request = parse_chat_request(
        body(
            messages=[
                {"role": "system", "content": "look"},
                {"role": "user", "content": [{"type": "text", "text": "What is it?"}, IMAGE]},
            ]
        )
    )
    assert request.messages[1].content == [{"type": "text", "text": "What is it?"}, IMAGE]
    assert content_kinds(request.messages) == {"messages[1].content[1]": "image"}


def test_text_parts_alone_stay_one_string() -> None:
    request = parse_chat_request(
        body(messages=[{"role": "user", "content": [{"type": "text", "text": "a"}] * 2}])
    )
    assert request.messages[0].content == "aa"


@pytest.mark.parametrize(
    ("part", "code"),
    [
        ({"type": "image_url", "image_url": {}}, None),
        ({"type": "image_url", "image_url": "http://x/y.png"}, None),
        ({"type": "input_audio"}, None),
        ({"type": "video", "video": {}}, "unsupported_content"),
        ("text", "unsupported_content"),
    ],
)
def test_bad_content_parts_are_named_by_position(part: Any, code: str | None) -> None:
    error = refused(
        body(messages=[{"role": "user", "content": [{"type": "text", "text": "a"}, part]}])
    )
    assert error.param == "messages[0].content[1]"
    assert error.code == code


def test_non_text_parts_only_in_user_messages() -> None:
    error = refused(body(messages=[{"role": "assistant", "content": [IMAGE]}, *body()["messages"]]))
    assert error.param == "messages[0].content[0]"
    assert error.code == "unsupported_content"


def test_context_checks_its_sampling_fields() -> None:
    with pytest.raises(ConfigurationError, match="top_p"):
        RouterContext(top_p=7).sampling()
    with pytest.raises(ConfigurationError, match="accepts_content"):
        RouterContext(accepts_content={"openai:x": ["smell"]}).sampling()


def test_logprobs_are_answered_in_openai_shape_cut_to_the_top_asked() -> None:
    raw = {
        "content": [
            {
                "token": "Hi",
                "logprob": -0.1,
                "bytes": [72, 105],
                "top_logprobs": [{"token": "Hi", "logprob": -0.1, "bytes": [72, 105]}] * 3,
            }
        ]
    }
    shaped = openai_logprobs(raw, RouterContext(logprobs=True, top_logprobs=2))
    assert shaped is not None
    assert shaped["content"][0]["token"] == "Hi" and len(shaped["content"][0]["top_logprobs"]) == 2
    assert openai_logprobs(raw, RouterContext(logprobs=True))["content"][0]["top_logprobs"] == []  # type: ignore[index]
    assert openai_logprobs(raw, RouterContext()) is None  # asked by a validator, not the client
    ollama = [{"token": "Hi", "logprob": -0.1}]
    assert openai_logprobs(ollama, RouterContext(logprobs=True))["content"][0]["logprob"] == -0.1  # type: ignore[index]


def test_n_choices_come_from_the_answer_and_its_more_choices() -> None:
    from langchain_core.messages import AIMessage

    answer = AIMessage(
        content="one",
        response_metadata={
            "finish_reason": "stop",
            "more_choices": [{"content": "two", "finish_reason": "length", "logprobs": None}],
        },
    )
    choices = answer_choices({"messages": [answer]}, RouterContext(n=2))
    assert [(c.content, c.finish_reason) for c in choices] == [("one", "stop"), ("two", "length")]
