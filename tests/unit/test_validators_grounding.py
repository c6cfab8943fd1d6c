"""The grounding validator: a local tool-run answer's values must come from the conversation."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from asymroute.validators import get_validators
from asymroute.validators.base import ValidationPolicy
from asymroute.validators.grounding import GroundingValidator, numbers_in
from asymroute.validators.replies import candidate_from


def function(name: str, **properties: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": list(properties)}
    return {"type": "function", "function": {"name": name, "parameters": schema}}


TOOLS = (
    function("get_weather", city={"type": "string"}),
    function("to_fahrenheit", celsius={"type": "number"}),
    function("add", a={"type": "number"}, b={"type": "number"}),
    function("convert", value={"type": "number"}, unit={"enum": ["kelvin", "rankine"]}),
    function("send_note", to={"type": "string"}, body={"type": "string"}),
)
PARIS = HumanMessage("What is the temperature in Paris, in Fahrenheit?")


def judge(answer: AIMessage, *conversation: BaseMessage, choice: Any = None) -> tuple[bool, str]:
    policy = ValidationPolicy(tools=TOOLS, tool_choice=choice)
    judgement = GroundingValidator(policy).check(candidate_from(answer, "q", None, conversation))
    return judgement.passed, judgement.reasons[0]


def call(name: str, **args: Any) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": f"call_{name}"}])


def result(name: str, content: str) -> ToolMessage:
    return ToolMessage(content, tool_call_id=f"call_{name}", name=name)


def test_call_values_copied_from_the_user_turn_pass() -> None:
    assert judge(call("get_weather", city="Paris"), PARIS)[0]
    assert judge(call("get_weather", city="paris"), PARIS)[0]  # case does not matter
    assert judge(call("add", a=12, b=30.0), HumanMessage("What is 12 plus 30?"))[0]
    assert judge(call("add", a=1200, b=-3), HumanMessage("Add 1,200 and -3."))[0]


def test_a_call_value_from_nowhere_fails() -> None:
    assert judge(call("to_fahrenheit", celsius=30.72), PARIS) == (
        False,
        "tool call value(s) found nowhere in the conversation: to_fahrenheit(celsius=30.72)",
    )
    assert not judge(call("get_weather", city="Lyon"), PARIS)[0]
    assert not judge(call("add", a=12, b=31), HumanMessage("What is 12 plus 30?"))[0]
    minus_forty = HumanMessage("Convert -40 Celsius to Fahrenheit.")
    assert not judge(call("to_fahrenheit", celsius=40), minus_forty)[0]  # the sign counts


def test_a_call_value_from_an_earlier_tool_result_passes() -> None:
    conversation = (PARIS, call("get_weather", city="Paris"), result("get_weather", "18C"))
    assert judge(call("to_fahrenheit", celsius=18), *conversation)[0]
    assert not judge(call("to_fahrenheit", celsius=19), *conversation)[0]


def test_values_the_schema_lists_and_composed_text_need_no_source() -> None:
    ask = HumanMessage("Convert 300 to the other scale.")
    assert judge(call("convert", value=300, unit="kelvin"), ask)[0]
    note = call("send_note", to="Ana", body="Running late, start the meeting without me")
    assert judge(note, HumanMessage("Tell Ana I am late."))[0]
    assert not judge(call("send_note", to="Bob", body="hi"), HumanMessage("Tell Ana hi."))[0]


def test_an_answer_to_a_tool_result_must_state_it() -> None:
    conversation = (HumanMessage("What is 12 plus 30?"), call("add", a=12, b=30))
    done = (*conversation, result("add", "42"))
    assert judge(AIMessage("12 plus 30 is 42."), *done)[0]
    assert judge(AIMessage("The sum is 43."), *done) == (
        False,
        "the answer states none of the tool results' values: 42",
    )
    assert not judge(AIMessage("Use F = C * 9/5 + 32."), PARIS, result("to_fahrenheit", "64.4F"))[0]
    assert judge(AIMessage("About 64F."), PARIS, result("to_fahrenheit", "64.4F"))[0]  # rounded
    assert not judge(AIMessage("It is 40.0F."), PARIS, result("to_fahrenheit", "-40F"))[0]
    weather = (PARIS, call("get_weather", city="Paris"), result("get_weather", "18C and sunny"))
    assert judge(AIMessage("It is sunny."), *weather)[0]  # a word the result brought
    assert judge(AIMessage("18 degrees."), *weather)[0]
    assert not judge(AIMessage("Paris is nice in spring."), *weather)[0]  # "Paris" was known
    assert judge(AIMessage("Done."), PARIS, result("get_weather", "ok"))[0]  # nothing to check


def test_a_text_answer_inventing_a_number_fails() -> None:
    assert judge(AIMessage("It is 22 degrees in Paris."), PARIS) == (
        False,
        "the answer states number(s) no message gave instead of calling a tool: 22",
    )
    assert judge(AIMessage("Which city do you mean?"), PARIS)[0]
    assert judge(AIMessage("Tell me:\n1. the city\n2) the unit"), PARIS)[0]  # list markers
    assert judge(AIMessage("12 and 30, right?"), HumanMessage("What is 12 plus 30?"))[0]


def test_runs_without_tools_or_with_tool_choice_none_pass() -> None:
    empty = GroundingValidator(ValidationPolicy())
    assert empty.check(candidate_from(AIMessage("It is 22."), "q", None, [PARIS])).passed
    assert judge(AIMessage("It is 22 degrees in Paris."), PARIS, choice="none")[0]


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("18C", [18.0]),
        ("1,200 and 3.5", [1200.0, 3.5]),
        ("-40", [-40.0]),
        ("\u221240 and 3-4", [-40.0, 3.0, 4.0]),
        ("v2", []),
        ("1,2", [1.0, 2.0]),
    ],
)
def test_numbers_in_text(text: str, numbers: list[float]) -> None:
    assert numbers_in(text) == numbers


def test_the_validator_is_registered_by_name() -> None:
    (validator,) = get_validators(["grounding"], ValidationPolicy(tools=TOOLS))
    assert isinstance(validator, GroundingValidator)
