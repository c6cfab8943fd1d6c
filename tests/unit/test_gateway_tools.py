"""Tool calling through the gateway app in process: the official `openai` client, fake models."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from starlette.testclient import TestClient

from asymroute.gateway.errors import GatewayError
from asymroute.gateway.schemas import parse_chat_request
from asymroute.providers import PROVIDERS
from tests.support.gateway_app import client_for, gateway
from tests.support.tool_models import QUESTION, WEATHER, ToolScriptProvider

CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}
ROUND_TRIP = [
    {"role": "user", "content": QUESTION},
    {"role": "assistant", "content": None, "tool_calls": [CALL]},
    {"role": "tool", "tool_call_id": "call_1", "content": "18C and sunny"},
]


@pytest.fixture
def tools_provider(monkeypatch: pytest.MonkeyPatch) -> ToolScriptProvider:
    provider = ToolScriptProvider()
    monkeypatch.setitem(PROVIDERS, "tools", provider)
    return provider


@pytest.fixture
def http(tools_provider: ToolScriptProvider, fake_provider: Any) -> Iterator[TestClient]:
    with gateway(local="tools:calls", frontier="tools:calls") as client:
        yield client


def refused(**fields: Any) -> GatewayError:
    body = {"model": "asymroute", "messages": [{"role": "user", "content": "hi"}], **fields}
    with pytest.raises(GatewayError) as raised:
        parse_chat_request(body)
    assert raised.value.status == 400
    return raised.value


# --- requests ------------------------------------------------------------------------------


def test_tool_fields_and_messages_are_read_as_langchain_messages() -> None:
    request = parse_chat_request(
        {
            "model": "asymroute",
            "messages": ROUND_TRIP,
            "tools": [WEATHER],
            "tool_choice": "auto",
            "parallel_tool_calls": False,
        }
    )
    assert request.tools == (WEATHER,)
    assert (request.tool_choice, request.parallel_tool_calls) == ("auto", False)
    assistant, tool = request.messages[1], request.messages[2]
    assert assistant.tool_calls == [  # type: ignore[attr-defined]
        {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1", "type": "tool_call"}
    ]
    assert (tool.type, tool.tool_call_id, tool.content) == ("tool", "call_1", "18C and sunny")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("fields", "param", "fragment"),
    [
        (
            {"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": 5}}}]},
            "tools[0].function.parameters",
            "is not a valid JSON Schema",
        ),
        (
            {"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "g"}}},
            "tool_choice",
            "'g', which is not among the tools offered",
        ),
        ({"tool_choice": "auto"}, "tool_choice", "only allowed when tools are given"),
        (
            {
                "messages": [
                    {"role": "user", "content": "x"},
                    {"role": "tool", "content": "r", "tool_call_id": "c9"},
                ]
            },
            "messages[1].tool_call_id",
            "'c9' matches no tool call of an earlier assistant message",
        ),
        (
            {
                "messages": [
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [{**CALL, "function": {"name": "f", "arguments": "{x"}}],
                    }
                ]
            },
            "messages[0].tool_calls[0].function.arguments",
            "must be a JSON object encoded as a string",
        ),
        (
            {"tools": [WEATHER], "parallel_tool_calls": "yes"},
            "parallel_tool_calls",
            "true or false",
        ),
    ],
)
def test_bad_tool_input_is_a_400_naming_the_field(
    fields: dict[str, Any], param: str, fragment: str
) -> None:
    error = refused(**fields)
    assert error.param == param
    assert fragment in error.message


# --- responses -----------------------------------------------------------------------------


def test_a_tool_call_answer_has_tool_calls_and_finish_reason_tool_calls(
    http: TestClient, tools_provider: ToolScriptProvider
) -> None:
    raw = client_for(http).chat.completions.with_raw_response.create(
        model="asymroute",
        messages=[{"role": "user", "content": QUESTION}],
        tools=[WEATHER],  # type: ignore[list-item]
        tool_choice="required",
    )
    choice = raw.parse().choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (call,) = choice.message.tool_calls or []
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments) == {"city": "Paris"}  # type: ignore[union-attr]
    assert raw.headers["x-asymroute-tier"] == "local"
    assert tools_provider.bound[0][2] == {"tool_choice": "required", "stream": False}  # local


def test_a_tool_result_round_trip_reaches_the_model(
    http: TestClient, tools_provider: ToolScriptProvider
) -> None:
    client_for(http).chat.completions.create(
        model="asymroute",
        messages=ROUND_TRIP,  # type: ignore[arg-type]
        tools=[WEATHER],  # type: ignore[list-item]
    )
    sent = tools_provider.seen[-1][1]
    assert [m.type for m in sent] == ["human", "ai", "tool"]
    assert sent[2].tool_call_id == "call_1"


def test_a_bad_local_call_escalates_and_the_client_sees_only_the_frontier_call(
    tools_provider: ToolScriptProvider, fake_provider: Any
) -> None:
    with gateway(local="tools:unknown_tool", frontier="tools:calls") as http:
        raw = client_for(http).chat.completions.with_raw_response.create(
            model="asymroute",
            messages=[{"role": "user", "content": QUESTION}],
            tools=[WEATHER],  # type: ignore[list-item]
        )
    completion = raw.parse()
    assert raw.headers["x-asymroute-escalated"] == "true"
    assert completion.model_extra["asymroute"]["validation"]["failed"] == ["tool_calls"]
    assert "get_time" not in raw.text


def stream_chunks(http: TestClient, **fields: Any) -> list[Any]:
    stream = client_for(http).chat.completions.create(
        model=fields.pop("model", "asymroute"),
        messages=[{"role": "user", "content": QUESTION}],
        tools=[WEATHER],  # type: ignore[list-item]
        stream=True,
        **fields,
    )
    return list(stream)


def test_a_frontier_tool_call_streams_as_deltas(http: TestClient) -> None:
    chunks = stream_chunks(http, model="router-0")  # everything to the frontier
    deltas = [c.choices[0].delta.tool_calls for c in chunks if c.choices[0].delta.tool_calls]
    assert len(deltas) == 2  # the arguments as they arrived, in two pieces
    assert deltas[0][0].id == "c1" and deltas[0][0].function.name == "get_weather"
    assert deltas[1][0].id is None and deltas[1][0].function.name is None
    arguments = "".join(d[0].function.arguments for d in deltas)
    assert json.loads(arguments) == {"city": "Paris"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    assert chunks[0].choices[0].delta.role == "assistant"


def test_a_local_tool_call_streams_whole_after_validation(http: TestClient) -> None:
    chunks = stream_chunks(http)
    deltas = [c.choices[0].delta.tool_calls for c in chunks if c.choices[0].delta.tool_calls]
    assert len(deltas) == 1
    (call,) = deltas[0]
    assert (call.index, call.id, call.function.name) == (0, "c1", "get_weather")
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    assert chunks[-1].model_extra["asymroute"]["tier"] == "local"


def test_an_unknown_tool_choice_is_a_400_through_the_sdk(http: TestClient) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client_for(http).chat.completions.create(
            model="asymroute",
            messages=[{"role": "user", "content": QUESTION}],
            tools=[WEATHER],  # type: ignore[list-item]
            tool_choice={"type": "function", "function": {"name": "get_time"}},
        )
    assert caught.value.body["param"] == "tool_choice"  # type: ignore[index]
