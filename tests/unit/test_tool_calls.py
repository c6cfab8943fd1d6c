"""Tools offered to a run: definitions, tool_choice, the tool_calls validator, routing guards."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage
from pydantic import BaseModel

from asymroute.context import RouterContext
from asymroute.planning import validator_names
from asymroute.records import RoutingDecision
from asymroute.tool_calls import (
    LOCAL_CANNOT_CALL_TOOLS,
    ToolDefinitionError,
    bind_run_tools,
    checked_tool_choice,
    openai_tools,
    skip_local_for_tools,
)
from asymroute.validators import get_validators
from asymroute.validators.base import ValidationPolicy
from asymroute.validators.replies import candidate_from
from asymroute.validators.structural import StructuralValidator
from asymroute.validators.tool_calls import ToolCallValidator


class Address(BaseModel):
    city: str
    zip_code: str


class ShipOrder(BaseModel):
    """Ship an order to an address."""

    order_id: int
    address: Address


WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather of a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


# As the openai SDK's `pydantic_function_tool` sends it: the schema keeps its $defs and $refs.
SHIP_ORDER = {
    "type": "function",
    "function": {"name": "ShipOrder", "parameters": ShipOrder.model_json_schema()},
}


def tools() -> tuple[dict[str, Any], ...]:
    return openai_tools([WEATHER, SHIP_ORDER])


def test_a_pydantic_schema_keeps_its_defs_and_refs() -> None:
    ship = tools()[1]["function"]
    assert "$defs" in ship["parameters"]
    assert ship["parameters"]["properties"]["address"] == {"$ref": "#/$defs/Address"}


def test_langchain_tools_are_converted_to_openai_function_tools() -> None:
    (converted,) = openai_tools([ShipOrder])
    assert converted["type"] == "function"
    assert converted["function"]["name"] == "ShipOrder"
    assert converted["function"]["description"] == "Ship an order to an address."


@pytest.mark.parametrize(
    ("bad", "param", "message"),
    [
        (
            {"type": "function", "function": {"name": "f", "parameters": {"type": "objekt"}}},
            "tools[0].function.parameters",
            "is not a valid JSON Schema",
        ),
        ({"type": "code_interpreter"}, "tools[0]", "only function tools are supported"),
        ({"type": "function", "function": {"name": ""}}, "tools[0].function.name", "non-empty"),
        (
            {"type": "function", "function": {"name": "f", "parameters": []}},
            "tools[0].function.parameters",
            "must be a JSON Schema object",
        ),
    ],
)
def test_a_bad_tool_definition_names_its_field(bad: Any, param: str, message: str) -> None:
    with pytest.raises(ToolDefinitionError, match=message) as raised:
        openai_tools([bad])
    assert raised.value.param == param


def test_tool_names_must_be_unique() -> None:
    with pytest.raises(ToolDefinitionError, match="more than one tool named 'get_weather'"):
        openai_tools([WEATHER, WEATHER])


def test_tool_choice_must_name_an_offered_tool() -> None:
    named = {"type": "function", "function": {"name": "get_weather"}}
    assert checked_tool_choice(named, tools()) == named
    assert checked_tool_choice("required", tools()) == "required"
    with pytest.raises(ToolDefinitionError, match="'get_time', which is not among") as raised:
        checked_tool_choice({"type": "function", "function": {"name": "get_time"}}, tools())
    assert raised.value.param == "tool_choice"
    with pytest.raises(ToolDefinitionError, match="only allowed when tools are given"):
        checked_tool_choice("auto", ())
    with pytest.raises(ToolDefinitionError, match="tool_choice must be"):
        checked_tool_choice("sometimes", tools())


def test_the_context_converts_and_checks_its_tools() -> None:
    context = RouterContext(tools=[WEATHER, ShipOrder], tool_choice="auto")
    assert [t["function"]["name"] for t in context.tools] == ["get_weather", "ShipOrder"]
    assert context == RouterContext(tools=[WEATHER, ShipOrder], tool_choice="auto")
    assert hash(context) == hash(RouterContext(tools=[WEATHER], tool_choice="auto"))
    with pytest.raises(ToolDefinitionError, match="tool_choice names the tool 'nope'"):
        RouterContext(
            tools=[WEATHER], tool_choice={"type": "function", "function": {"name": "nope"}}
        )


def test_tool_requests_get_the_tool_calls_validator_after_structural() -> None:
    assert validator_names(RouterContext()) == ("structural",)
    with_tools = RouterContext(tools=[WEATHER], validators=("structural", "confidence"))
    assert validator_names(with_tools) == ("structural", "tool_calls", "grounding", "confidence")
    ungrounded = RouterContext(tools=[WEATHER], tool_grounding=False)
    assert validator_names(ungrounded) == ("structural", "tool_calls")


# --- the tool_calls validator --------------------------------------------------------------


def judge(message: AIMessage, tool_choice: Any = None) -> tuple[bool, str]:
    policy = ValidationPolicy(tools=tools(), tool_choice=tool_choice)
    judgement = ToolCallValidator(policy).check(candidate_from(message, "q", None, []))
    return judgement.passed, judgement.reasons[0]


def call(name: str, args: dict[str, Any]) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": "call_1"}])


def test_a_valid_call_passes_and_a_text_answer_passes_when_no_call_is_required() -> None:
    ship = {"order_id": 7, "address": {"city": "Lyon", "zip_code": "69001"}}
    assert judge(call("ShipOrder", ship)) == (True, "tool call(s) valid: ShipOrder")
    assert judge(AIMessage("It is sunny."))[0]


def test_a_call_of_no_offered_tool_fails() -> None:
    assert judge(call("get_time", {})) == (
        False,
        "called 'get_time', which is not among the tools offered",
    )


def test_arguments_are_checked_against_the_schema_through_refs() -> None:
    bad = {"order_id": "seven", "address": {"city": "Lyon"}}
    passed, reason = judge(call("ShipOrder", bad))
    assert not passed
    assert "address: 'zip_code' is a required property" in reason
    assert "order_id: 'seven' is not of type 'integer'" in reason


def test_arguments_that_are_not_json_fail() -> None:
    message = AIMessage(
        "",
        invalid_tool_calls=[
            {"name": "get_weather", "args": "{city: Paris", "id": "c", "error": "bad"}
        ],
    )
    assert judge(message) == (False, "arguments of 'get_weather' are not valid JSON")


@pytest.mark.parametrize(
    ("message", "choice", "reason"),
    [
        (AIMessage("Sunny."), "required", "no tool call although tool_choice is required"),
        (
            call("get_weather", {"city": "Paris"}),
            {"type": "function", "function": {"name": "ShipOrder"}},
            "did not call 'ShipOrder', which tool_choice requires",
        ),
        (call("get_weather", {"city": "Paris"}), "none", "called a tool although"),
    ],
)
def test_an_ignored_tool_choice_fails(message: AIMessage, choice: Any, reason: str) -> None:
    passed, said = judge(message, choice)
    assert not passed
    assert said.startswith(reason)


def test_structural_lets_a_tool_call_with_no_text_through() -> None:
    candidate = candidate_from(call("get_weather", {"city": "Paris"}), "q", None, [])
    judgement = StructuralValidator().check(candidate)
    assert judgement.passed
    assert judgement.reasons == ("answer is a tool call",)
    assert not StructuralValidator().check(candidate_from(AIMessage(""), "q", None, [])).passed


def test_the_validator_is_registered_by_name() -> None:
    (validator,) = get_validators(["tool_calls"], ValidationPolicy(tools=tools()))
    assert isinstance(validator, ToolCallValidator)


# --- routing and binding -------------------------------------------------------------------


def decision(tier: str) -> RoutingDecision:
    return RoutingDecision(
        tier=tier,  # type: ignore[typeddict-item]
        score=0.1,
        threshold=0.5,
        reasons=[],
        classifier="heuristic",
        frontier_unavailable=False,
    )


def test_a_local_tier_that_cannot_call_tools_is_skipped_with_a_flag() -> None:
    skipped, flags = skip_local_for_tools(
        decision("local"), offered=True, local_calls_tools=False, frontier_usable=True
    )
    assert skipped["diverted_to"] == "frontier"
    assert flags == [LOCAL_CANNOT_CALL_TOOLS]
    kept, flags = skip_local_for_tools(
        decision("local"), offered=True, local_calls_tools=False, frontier_usable=False
    )
    assert "diverted_to" not in kept
    assert flags == [LOCAL_CANNOT_CALL_TOOLS]
    same, flags = skip_local_for_tools(
        decision("local"), offered=True, local_calls_tools=True, frontier_usable=True
    )
    assert (same, flags) == (decision("local"), [])


class BindingModel:
    def __init__(self) -> None:
        self.bound: list[Any] = []

    def bind_tools(self, tools: list[Any], **options: Any) -> str:
        self.bound.append((tools, options))
        return "bound"


def test_bind_run_tools_passes_choice_and_parallel_only_where_supported() -> None:
    model = BindingModel()
    args = (list(tools()), "required", False)
    assert bind_run_tools(model, *args, calls_tools=True, parallel_supported=True) == "bound"  # type: ignore[arg-type]
    assert model.bound[0][1] == {"tool_choice": "required", "parallel_tool_calls": False}
    bind_run_tools(model, *args, calls_tools=True, parallel_supported=False)  # type: ignore[arg-type]
    assert model.bound[1][1] == {"tool_choice": "required"}
    assert bind_run_tools(model, *args, calls_tools=False, parallel_supported=True) is model  # type: ignore[arg-type]
    assert bind_run_tools(model, (), None, None, calls_tools=True, parallel_supported=True) is model  # type: ignore[arg-type]
    bind_run_tools(model, list(tools()), None, None, calls_tools=True, parallel_supported=True)  # type: ignore[arg-type]
    assert model.bound[2][1] == {"tool_choice": "auto"}  # llama.cpp's server: none otherwise
    bind_run_tools(model, *args, calls_tools=True, parallel_supported=False, whole=True)  # type: ignore[arg-type]
    assert model.bound[3][1] == {"tool_choice": "required", "stream": False}
