"""Chat-completion request bodies: what is accepted, what is refused and how it is said."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from asymroute.context import RouterContext
from asymroute.gateway.completions import run_context
from asymroute.gateway.errors import GatewayError
from asymroute.gateway.profiles import profile_context
from asymroute.gateway.schemas import parse_chat_request, parse_json_body


def body(**fields: Any) -> dict[str, Any]:
    return {"model": "asymroute", "messages": [{"role": "user", "content": "hi"}], **fields}


def refused(data: Any) -> GatewayError:
    with pytest.raises(GatewayError) as caught:
        parse_chat_request(data)
    assert caught.value.status == 400
    return caught.value


def test_a_full_request_is_read() -> None:
    request = parse_chat_request(
        body(
            messages=[
                {"role": "system", "content": "be brief"},
                {"role": "developer", "content": [{"type": "text", "text": "really"}]},
                {"role": "user", "content": "hi", "name": "ana"},
                {"role": "assistant", "content": "hello"},
                {"role": "user", "content": "2+3?"},
            ],
            temperature=0.2,
            max_completion_tokens=9,
            stop="END",
            stream=True,
            stream_options={"include_usage": True},
            response_format={"type": "json_object"},
            user="u-1",
        )
    )
    assert [type(m) for m in request.messages] == [
        SystemMessage, SystemMessage, HumanMessage, AIMessage, HumanMessage
    ]  # fmt: skip
    assert request.messages[1].content == "really" and request.messages[2].name == "ana"
    assert (request.temperature, request.max_tokens, request.stop) == (0.2, 9, ("END",))
    assert request.stream and request.include_usage
    assert request.response_format == {"type": "json_object"}


def test_text_response_format_means_none() -> None:
    assert parse_chat_request(body(response_format={"type": "text"})).response_format is None


@pytest.mark.parametrize(
    ("fields", "param", "fragment"),
    [
        ({"temperature": 3}, "temperature", "from 0 to 2"),
        ({"temperature": True}, "temperature", "from 0 to 2"),
        ({"max_tokens": 0}, "max_tokens", "positive integer"),
        ({"max_tokens": 2.5}, "max_tokens", "positive integer"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop", "up to 4"),
        ({"stop": [""]}, "stop", "non-empty"),
        ({"stream": "yes"}, "stream", "must be a bool"),
        ({"stream_options": {"include_usage": True}}, "stream_options", "only allowed when"),
        ({"response_format": {"type": "xml"}}, "response_format", "json_object"),
        ({"response_format": {"type": "json_schema"}}, "response_format", "json_schema"),
        ({"messages": []}, "messages", "non-empty array"),
        ({"messages": "hi"}, "messages", "non-empty array"),
        ({"messages": ["hi"]}, "messages[0]", "must be an object"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role", "one of"),
        ({"messages": [{"role": "user"}]}, "messages[0].content", "got NoneType"),
        ({"model": None}, "model", "is required"),
        ({"bogus": 1}, "bogus", "unrecognized request argument"),
    ],
)
def test_wrong_fields_are_named(fields: dict[str, Any], param: str, fragment: str) -> None:
    error = refused(body(**fields))
    assert error.param == param
    assert fragment in error.message


@pytest.mark.parametrize(
    "fields",
    [
        {"tools": []},
        {"tool_choice": "auto"},
        {"functions": [{"name": "f"}]},
        {"audio": {}},
        {"messages": [{"role": "tool", "content": "x", "tool_call_id": "1"}]},
        {"messages": [{"role": "assistant", "content": None, "tool_calls": [{"id": "1"}]}]},
        {"messages": [{"role": "user", "content": [{"type": "video", "video": {}}]}]},
        {"messages": [{"role": "system", "content": [{"type": "image_url", "image_url": {}}]}]},
    ],
)
def test_unsupported_features_are_refused_not_dropped(fields: dict[str, Any]) -> None:
    assert refused(body(**fields)).code in ("unsupported_parameter", "unsupported_content")


def test_null_values_mean_not_given() -> None:
    request = parse_chat_request(body(tools=None, n=None, temperature=None, stop=None))
    assert request.temperature is None and request.stop == ()


@pytest.mark.parametrize(
    ("raw", "fragment"), [(b"{", "not valid JSON"), (b"\xff", "not valid JSON"), (b"3", "object")]
)
def test_body_must_be_a_json_object(raw: bytes, fragment: str) -> None:
    with pytest.raises(GatewayError, match=fragment):
        parse_json_body(raw)


def test_request_parameters_override_the_profile() -> None:
    defaults = RouterContext(local_model="fake:good", frontier_model="fake:frontier")
    request = parse_chat_request(
        body(model="router-0.3", temperature=0.7, max_tokens=5, stop=["x"])
    )
    context = run_context(request, profile_context(request.model, defaults))
    assert (context.threshold, context.temperature, context.max_output_tokens) == (0.3, 0.7, 5)
    assert context.stop == ("x",) and context.local_model == "fake:good"
    assert run_context(parse_chat_request(body()), defaults) is defaults


def test_contexts_with_a_response_format_stay_hashable() -> None:
    context = RouterContext(response_format={"type": "json_object"})
    assert hash(context) == hash(RouterContext())
    assert context != RouterContext()


@pytest.mark.parametrize(
    ("model", "attribute"),
    [
        ("openai:gpt-4o-mini", "stop"),
        ("ollama:llama3.1:8b", "stop"),
        ("llamacpp:smollm2", "stop_sequences"),
    ],
)
def test_stop_sequences_reach_every_provider(model: str, attribute: str) -> None:
    from asymroute.providers import ModelOptions, get_provider, parse_model
    from asymroute.settings import Settings

    spec = parse_model(model)
    options = ModelOptions(
        max_output_tokens=8, temperature=0.0, timeout_s=5, connect_timeout_s=1, stop=("END",)
    )
    settings = Settings(_env_file=None, openai_base_url="http://127.0.0.1:9/v1")  # type: ignore[call-arg]
    chat_model = get_provider(spec).create(spec.model, settings, options)
    assert getattr(chat_model, attribute) == ["END"]
