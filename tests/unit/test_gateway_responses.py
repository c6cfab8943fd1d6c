"""The Responses API (`/v1/responses`) through the gateway app in process: the official `openai`
client's `responses.create` and `responses.stream`, fake models."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from asymroute.gateway.errors import GatewayError
from asymroute.gateway.responses_request import parse_responses_request
from asymroute.providers import PROVIDERS
from tests.support.fake_provider import FRONTIER_ANSWER, GOOD_ANSWER, PLACE_JSON, FakeProvider
from tests.support.gateway_app import COMPLEX, KEY, SIMPLE, client_for, gateway
from tests.support.tool_models import QUESTION, ToolScriptProvider
from tests.support.tool_models import WEATHER as WEATHER_TOOL
from tests.unit.test_gateway_app_stream import JSON_VALUES

WEATHER = {"type": "function", **WEATHER_TOOL["function"]}
"""get_weather as a Responses API tool: the function's fields, flat."""


@pytest.fixture
def http(fake_provider: FakeProvider) -> Iterator[TestClient]:
    with gateway() as client:
        yield client


@pytest.fixture
def tools_http(
    monkeypatch: pytest.MonkeyPatch, fake_provider: FakeProvider
) -> Iterator[TestClient]:
    provider = ToolScriptProvider()
    monkeypatch.setitem(PROVIDERS, "tools", provider)
    with gateway(local="tools:calls", frontier="tools:calls") as client:
        yield client


def parsed(**fields: Any) -> Any:
    return parse_responses_request({"model": "asymroute", "input": "hi", **fields}, 1000)


def refused(**fields: Any) -> GatewayError:
    with pytest.raises(GatewayError) as raised:
        parsed(**fields)
    assert raised.value.status == 400
    return raised.value


# --- requests ------------------------------------------------------------------------------


def test_input_items_become_the_chat_messages_they_stand_for() -> None:
    request = parsed(
        instructions="Be brief.",
        input=[
            {"role": "user", "content": QUESTION},
            {"type": "message", "role": "assistant", "content": [
                {"type": "output_text", "text": "Let me look.", "annotations": []}]},
            {"type": "function_call", "call_id": "c1", "name": "get_weather",
             "arguments": '{"city": "Paris"}'},
            {"type": "function_call", "call_id": "c2", "name": "get_weather",
             "arguments": '{"city": "Rome"}'},
            {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "xyz"},
            {"type": "function_call_output", "call_id": "c1", "output": "18C"},
            {"type": "function_call_output", "call_id": "c2",
             "output": [{"type": "input_text", "text": "21C"}]},
            {"role": "user", "content": [{"type": "input_text", "text": "And Oslo?"}]},
        ],
        tools=[WEATHER],
        tool_choice={"type": "function", "name": "get_weather"},
        max_output_tokens=50,
        text={"format": {"type": "json_schema", "name": "w", "schema": {"type": "object"}}},
    )  # fmt: skip
    kinds = [m.type for m in request.messages]
    assert kinds == ["system", "human", "ai", "tool", "tool", "human"]
    assistant = request.messages[2]
    assert assistant.content == "Let me look."
    assert [c["id"] for c in assistant.tool_calls] == ["c1", "c2"]  # parallel calls: one turn
    assert request.messages[4].content == "21C"
    assert request.tools[0]["function"]["name"] == "get_weather"
    assert request.tool_choice == {"type": "function", "function": {"name": "get_weather"}}
    assert request.max_tokens == 50
    assert request.response_format == {
        "type": "json_schema",
        "json_schema": {"name": "w", "schema": {"type": "object"}},
    }
    assert request.echo["instructions"] == "Be brief." and request.echo["tools"] == [WEATHER]


@pytest.mark.parametrize(
    ("fields", "param", "fragment"),
    [
        ({"previous_response_id": "resp_1"}, "previous_response_id", "whole conversation"),
        ({"conversation": "conv_1"}, "conversation", "stores no responses"),
        ({"tools": [{"type": "web_search"}]}, "tools[0]", "only function tools"),
        ({"input": [{"type": "item_reference", "id": "msg_1"}]}, "input[0].type", "stores no"),
        ({"input": [{"role": "user", "content": 5}]}, "input[0].content", "string or an array"),
        ({"input": [{"role": "robot", "content": "x"}]}, "input[0]", "role must be one of"),
        ({"input": []}, "input", "non-empty"),
        (
            {"input": [{"type": "function_call_output", "call_id": "c", "output": {"a": 1}}]},
            "input[0].output",
            "string or an array",
        ),
        ({"max_output_tokens": 0}, "max_output_tokens", "positive integer"),
        ({"temperature": 3}, "temperature", "from 0 to 2"),
        ({"include": ["file_search_call.results"]}, "include: file_search_call.results", ""),
        ({"background": True}, "background", "only False"),
        ({"reasoning": {"effort": "loud"}}, "reasoning.effort", "must be one of none"),
        ({"reasoning": {"summary": "detailed"}}, "reasoning.summary", "no reasoning summaries"),
        ({"frobnicate": 1}, "frobnicate", "unrecognized request argument"),
        ({"text": {"format": {"type": "yaml"}}}, "text.format", "json_object or json_schema"),
        (
            {"input": [{"type": "function_call_output", "call_id": "nope", "output": "x"}]},
            "input[0].tool_call_id",
            "matches no tool call",
        ),
        (
            {"input": [{"role": "user", "content": [{"type": "input_image", "file_id": "f"}]}]},
            "input[0].content[0].file_id",
            "no file store",
        ),
    ],
)
def test_faults_are_400s_naming_the_responses_field(
    fields: dict[str, Any], param: str, fragment: str
) -> None:
    error = refused(**fields)
    assert error.param == param
    assert fragment in error.message
    assert "messages" not in error.message  # the chat field it was translated to stays hidden


def test_reasoning_effort_is_the_chat_requests_reasoning_effort() -> None:
    request = parsed(reasoning={"effort": "low", "summary": "auto"})
    assert request.sampling.reasoning_effort == "low"
    assert request.sampling.requested() == ("reasoning_effort",)
    assert request.echo["reasoning"] == {"effort": "low", "summary": None}


def test_clients_default_fields_are_accepted() -> None:
    request = parsed(
        store=False,
        include=["reasoning.encrypted_content"],
        truncation="disabled",
        metadata={"team": "a"},
        parallel_tool_calls=None,
        stream=True,
        stream_options={"include_obfuscation": False},
    )
    assert request.stream and request.include_usage  # a stream ends with its usage
    assert request.messages[0].content == "hi"


# --- answers -------------------------------------------------------------------------------


def test_a_simple_request_is_answered_locally_as_a_response(http: TestClient) -> None:
    raw = client_for(http).responses.with_raw_response.create(model="asymroute", input=SIMPLE)
    response = raw.parse()
    assert raw.headers["x-asymroute-tier"] == "local"
    assert response.id.startswith("resp_") and response.status == "completed"
    assert response.output_text == GOOD_ANSWER
    assert [item.type for item in response.output] == ["message"]
    assert response.model == "fake:good"
    assert response.usage is not None
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    assert response.model_extra["asymroute"]["tier"] == "local"


def test_a_complex_request_goes_to_the_frontier_and_is_costed(http: TestClient) -> None:
    raw = client_for(http).responses.with_raw_response.create(
        model="asymroute", input=COMPLEX, instructions="Answer as an engineer."
    )
    response = raw.parse()
    assert raw.headers["x-asymroute-tier"] == "frontier"
    assert float(raw.headers["x-asymroute-cost-usd"]) > 0
    assert response.output_text == FRONTIER_ANSWER
    assert response.instructions == "Answer as an engineer."


def test_instructions_reach_the_model_as_its_system_message(
    http: TestClient, fake_provider: FakeProvider
) -> None:
    client_for(http).responses.create(model="asymroute", input=SIMPLE, instructions="Be brief.")
    _, messages = fake_provider.seen[-1]
    assert [m.type for m in messages][:2] == ["system", "human"]
    assert messages[0].content == "Be brief."


def test_a_stream_is_the_responses_event_sequence(http: TestClient) -> None:
    with client_for(http).responses.stream(model="asymroute", input=COMPLEX) as stream:
        events = list(stream)
        final = stream.get_final_response()
    kinds = [e.type for e in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == final.output_text == FRONTIER_ANSWER
    assert final.usage is not None and final.model_extra["asymroute"]["tier"] == "frontier"


def test_a_stream_never_shows_a_rejected_local_answer(fake_provider: FakeProvider) -> None:
    with gateway(local="fake:refusal") as http:
        response = http.post(
            "/v1/responses",
            json={"model": "asymroute", "input": SIMPLE, "stream": True},
            headers={"authorization": f"Bearer {KEY}"},
        )
    assert response.headers["x-asymroute-tier"] == "frontier"
    assert "sorry" not in response.text.lower()
    last = json.loads(response.text.strip().split("\n")[-1][len("data: ") :])
    assert last["type"] == "response.completed"
    assert last["response"]["asymroute"]["escalated"] is True


def test_an_answer_cut_at_max_output_tokens_is_incomplete(fake_provider: FakeProvider) -> None:
    with gateway(local="fake:truncated", frontier="fake:truncated") as http:
        response = client_for(http).responses.create(
            model="asymroute", input=SIMPLE, max_output_tokens=5
        )
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"


def test_a_json_schema_format_is_answered_as_bare_json(fake_provider: FakeProvider) -> None:
    with gateway(local="fake:fenced_json", frontier="fake:json") as http:
        response = client_for(http).responses.create(
            model="asymroute",
            input=SIMPLE,
            text={"format": {"type": "json_schema", "name": "place", "schema": {"type": "object"}}},
        )
    assert json.loads(response.output_text) == json.loads(PLACE_JSON)


def test_tool_calls_are_function_call_items_and_the_loop_closes(tools_http: TestClient) -> None:
    client = client_for(tools_http)
    first = client.responses.create(model="asymroute", input=QUESTION, tools=[WEATHER])
    calls = [item for item in first.output if item.type == "function_call"]
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [
        ("get_weather", {"city": "Paris"})
    ]
    history: list[Any] = [{"role": "user", "content": QUESTION}]
    history += [c.model_dump(exclude_none=True) for c in calls]
    history.append({"type": "function_call_output", "call_id": calls[0].call_id, "output": "18C"})
    second = client.responses.with_raw_response.create(
        model="asymroute", input=history, tools=[WEATHER]
    )
    assert second.status_code == 200  # the round trip, as the Agents SDK sends it, is accepted


def test_streamed_tool_calls_arrive_as_argument_deltas(tools_http: TestClient) -> None:
    with client_for(tools_http).responses.stream(
        model="asymroute", input=COMPLEX, tools=[WEATHER]
    ) as stream:
        events = list(stream)
        final = stream.get_final_response()
    pieces = [e.delta for e in events if e.type == "response.function_call_arguments.delta"]
    assert len(pieces) == 2  # the frontier's two chunks, as they came
    (call,) = [item for item in final.output if item.type == "function_call"]
    assert json.loads(call.arguments) == {"city": "Paris"} == json.loads("".join(pieces))
    assert call.call_id == "c1" and call.status == "completed"


def test_a_validated_local_tool_call_streams_whole(tools_http: TestClient) -> None:
    with client_for(tools_http).responses.with_streaming_response.create(
        model="asymroute", input=QUESTION, tools=[WEATHER], stream=True
    ) as raw:
        tier = raw.headers["x-asymroute-tier"]
        events = [json.loads(line[6:]) for line in raw.iter_lines() if line.startswith("data: ")]
    assert tier == "local"
    pieces = [e["delta"] for e in events if e["type"] == "response.function_call_arguments.delta"]
    assert pieces == ['{"city": "Paris"}']  # released whole, once validation passed it
    final = events[-1]["response"]
    assert final["status"] == "completed"
    assert [item["type"] for item in final["output"]] == ["function_call"]


def test_stored_responses_do_not_exist_and_say_so(fake_provider: FakeProvider) -> None:
    with gateway(gateway_keys={"team": KEY}) as http:
        response = http.get("/v1/responses/resp_1", headers={"authorization": f"Bearer {KEY}"})
        anonymous = http.get("/v1/responses/resp_1")
        unkeyed = http.post("/v1/responses", json={"model": "asymroute", "input": SIMPLE})
    assert response.status_code == 404
    assert "stores no responses" in response.json()["error"]["message"]
    assert anonymous.status_code == unkeyed.status_code == 401  # keys guard both routes


PARTS = st.fixed_dictionaries(
    {"type": st.sampled_from(["input_text", "output_text", "input_image", "input_file",
                              "input_audio", "refusal", "video"]) | JSON_VALUES},
    optional={"text": JSON_VALUES, "image_url": JSON_VALUES, "file_id": JSON_VALUES,
              "file_data": JSON_VALUES, "file_url": JSON_VALUES, "input_audio": JSON_VALUES},
)  # fmt: skip
ITEMS = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["message", "function_call", "function_call_output",
                                 "reasoning", "item_reference", "web_search_call"]) | JSON_VALUES,
        "role": st.sampled_from(["user", "assistant", "system", "developer", "tool"]),
        "content": JSON_VALUES | st.lists(PARTS, max_size=3),
        "call_id": st.sampled_from(["c1", ""]) | JSON_VALUES,
        "name": st.sampled_from(["get_weather"]) | JSON_VALUES,
        "arguments": st.sampled_from(['{"city": "Paris"}', "{"]) | JSON_VALUES,
        "output": JSON_VALUES | st.lists(PARTS, max_size=2),
    },
)  # fmt: skip
FIELDS = st.sampled_from(
    ["instructions", "tools", "tool_choice", "text", "include", "max_output_tokens", "store",
     "temperature", "top_p", "truncation", "reasoning", "previous_response_id", "stream"]
)  # fmt: skip


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fields=st.dictionaries(FIELDS, JSON_VALUES, max_size=4),
    items=st.one_of(JSON_VALUES, st.lists(ITEMS, max_size=4)),
)
def test_any_json_body_gets_a_response_or_an_openai_error(
    http: TestClient, fields: dict[str, Any], items: Any
) -> None:
    body = {"model": "asymroute", "input": items, **fields}
    response = http.post("/v1/responses", json=body)
    assert response.status_code in (200, 400, 404), response.text
    if response.status_code != 200:
        assert set(response.json()["error"]) == {"message", "type", "param", "code"}
