"""format: JSON and JSON-schema answers, and its one local retry."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from asymroute.validators.base import CandidateAnswer, ValidationPolicy
from asymroute.validators.format import FormatValidator, expected_schema
from asymroute.validators.json_schema import schema_errors
from tests.unit.steps_driver import drive_scripted, scripted_call

SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "person",
        "schema": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
            "required": ["name", "age"],
            "additionalProperties": False,
        },
    },
}


def answer(text: str, **fields: Any) -> CandidateAnswer:
    base: dict[str, Any] = {
        "prompt": "Give me JSON",
        "text": text,
        "finish_reason": "stop",
        "messages": (HumanMessage("Give me JSON"),),
    }
    return CandidateAnswer(**(base | fields))


def validator(response_format: Any, **policy: Any) -> FormatValidator:
    return FormatValidator(ValidationPolicy(response_format=response_format, **policy))


def test_without_a_requested_format_anything_passes() -> None:
    judgement = validator(None).check(answer("plain prose"))
    assert judgement.passed and judgement.reasons == ("no structured format requested",)


@pytest.mark.parametrize("text", ['{"a": 1}', "[1, 2]", '```json\n{"a": 1}\n```'])
def test_json_object_accepts_valid_json_even_fenced(text: str) -> None:
    assert validator({"type": "json_object"}).check(answer(text)).passed


def test_json_object_rejects_prose_with_the_parse_error() -> None:
    judgement = validator({"type": "json_object"}).check(answer("Sure! {name: Bob}"))
    assert not judgement.passed
    assert judgement.reasons[0].startswith("not valid JSON (Expecting value at line 1 column 1")


def test_schema_violations_are_named_with_their_path() -> None:
    judgement = validator(SCHEMA).check(answer('{"name": 3, "extra": true}'))
    assert not judgement.passed
    reason = judgement.reasons[0]
    assert "$ is missing required key 'age'" in reason
    assert "$.name should be string, got integer" in reason
    assert "$ has unexpected key 'extra'" in reason


def test_schema_conforming_answer_passes() -> None:
    assert validator(SCHEMA).check(answer('{"name": "Bob", "age": 41}')).passed


def test_schema_subset_checks_arrays_enums_and_bounds() -> None:
    schema = {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 2}
    assert schema_errors(["a", "c", "b"], schema) == [
        "$ item count 3 is above maxItems 2",
        "$[1] should be one of ['a', 'b'], got 'c'",
    ]
    assert schema_errors(True, {"type": "integer"}) == ["$ should be integer, got boolean"]


def test_expected_schema_reads_openai_response_formats() -> None:
    assert expected_schema({"type": "text"}) == (False, {})
    assert expected_schema({"type": "json_object"}) == (True, {})
    assert expected_schema(SCHEMA)[1]["required"] == ["name", "age"]


def test_one_retry_with_the_error_and_the_fixed_answer_replaces_the_first() -> None:
    fixed = scripted_call('{"name": "Bob", "age": 41}')
    judgement, sent = drive_scripted(validator(SCHEMA).steps(answer('{"name": "Bob"}')), [fixed])

    assert len(sent) == 1
    retry = sent[0]
    assert retry[0].content == "Give me JSON"
    assert retry[1].type == "ai" and retry[1].content == '{"name": "Bob"}'
    assert "missing required key 'age'" in retry[2].content
    assert judgement.passed and judgement.revised is not None
    assert judgement.revised.message is fixed.message
    assert judgement.revised.text == '{"name": "Bob", "age": 41}'
    assert list(judgement.revised.messages) == list(retry)
    assert "the retry fixed it" in judgement.reasons[0]


def test_a_failed_retry_escalates_with_both_errors() -> None:
    judgement, sent = drive_scripted(
        validator({"type": "json_object"}).steps(answer("nope")), [scripted_call("still nope")]
    )
    assert len(sent) == 1 and not judgement.passed and judgement.revised is None
    assert judgement.reasons[0].startswith("not valid JSON")
    assert judgement.reasons[1].startswith("after one retry: not valid JSON")


def test_retry_call_failure_is_reported() -> None:
    judgement, _ = drive_scripted(
        validator({"type": "json_object"}).steps(answer("nope")),
        [scripted_call("", error="ConnectionError: refused")],
    )
    assert not judgement.passed and judgement.reasons[1] == "retry failed: ConnectionError: refused"


def test_no_retry_when_turned_off_or_when_the_answer_passes() -> None:
    off = validator({"type": "json_object"}, format_retry=False)
    assert drive_scripted(off.steps(answer("nope")), [])[1] == []
    assert drive_scripted(validator({"type": "json_object"}).steps(answer("{}")), [])[1] == []
