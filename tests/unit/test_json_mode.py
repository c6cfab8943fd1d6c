"""JSON mode: forwarded to every tier in its own terms, checked, and returned as bare JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from pydantic import BaseModel

from asymroute.context import RouterContext
from asymroute.json_mode import (
    expected_schema,
    json_object_with_schema,
    ollama_format,
    unfenced,
    unfenced_reply,
)
from asymroute.planning import model_options, plan_run, validator_names
from asymroute.providers import ModelOptions
from asymroute.providers.llamacpp import LlamaCppProvider
from asymroute.providers.ollama import OllamaProvider
from asymroute.providers.openai import OpenAIProvider
from asymroute.settings import Settings
from tests.support.fake_provider import PLACE_JSON, FakeProvider
from tests.support.gateway_app import SIMPLE, client_for, gateway, sse_events

PLACE_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
    "required": ["city", "country"],
    "additionalProperties": False,
}
JSON_SCHEMA = {"type": "json_schema", "json_schema": {"name": "Place", "schema": PLACE_SCHEMA}}
JSON_OBJECT = {"type": "json_object"}
FENCED = f"```json\n{PLACE_JSON}\n```"


class Place(BaseModel):
    city: str
    country: str


def options(response_format: dict[str, Any] | None) -> ModelOptions:
    return ModelOptions(64, 0.0, 10.0, 2.0, response_format=response_format)


# --- what each tier is sent --------------------------------------------------------------


def test_llamacpp_form_carries_the_schema_or_asks_for_any_json() -> None:
    assert json_object_with_schema(JSON_SCHEMA) == {"type": "json_object", "schema": PLACE_SCHEMA}
    assert json_object_with_schema(JSON_OBJECT) == {"type": "json_object"}
    assert json_object_with_schema({"type": "text"}) is None
    assert json_object_with_schema(None) is None


def test_ollama_format_is_the_schema_itself_or_json() -> None:
    assert ollama_format(JSON_SCHEMA) == PLACE_SCHEMA
    assert ollama_format(JSON_OBJECT) == "json"
    assert ollama_format(None) is None


def test_openai_models_are_sent_response_format_in_openai_terms() -> None:
    settings = Settings(OPENAI_API_KEY="sk-test")
    model: Any = OpenAIProvider().create("gpt-4o-mini", settings, options(JSON_SCHEMA))
    assert model.extra_body == {"response_format": JSON_SCHEMA}
    plain: Any = OpenAIProvider().create("gpt-4o-mini", settings, options(None))
    assert plain.extra_body is None


def test_openai_schema_form_json_object_suits_llama_cpp_python_servers() -> None:
    settings = Settings(OPENAI_BASE_URL="http://127.0.0.1:9/v1", openai_schema_form="json_object")
    model: Any = OpenAIProvider().create("smollm2", settings, options(JSON_SCHEMA))
    assert model.extra_body == {
        "max_tokens": 64,
        "response_format": {"type": "json_object", "schema": PLACE_SCHEMA},
    }


def test_ollama_models_are_sent_the_schema_as_format() -> None:
    model: Any = OllamaProvider().create("smollm2:135m", Settings(), options(JSON_SCHEMA))
    assert model.format == PLACE_SCHEMA


def test_embedded_llamacpp_constrains_generation_with_the_schema(tmp_path: Path) -> None:
    weights = tmp_path / "tiny.gguf"
    weights.write_bytes(b"GGUF")
    model: Any = LlamaCppProvider().create(str(weights), Settings(), options(JSON_SCHEMA))
    assert model.response_format == {"type": "json_object", "schema": PLACE_SCHEMA}


def test_the_run_context_reaches_every_tier_s_model_options() -> None:
    plan = plan_run(RouterContext(response_format=JSON_SCHEMA), Settings())
    for tier in ("local", "frontier"):
        assert model_options(plan, tier, Settings()).response_format == JSON_SCHEMA


# --- checked and returned bare -----------------------------------------------------------


def test_expected_schema_reads_both_json_modes() -> None:
    assert expected_schema(JSON_SCHEMA) == (True, PLACE_SCHEMA)
    assert expected_schema(JSON_OBJECT) == (True, {})
    assert expected_schema({"type": "text"}) == (False, {})


def test_a_json_request_turns_the_format_validator_on_after_structural() -> None:
    assert validator_names(RouterContext(response_format=JSON_OBJECT)) == ("structural", "format")
    scorer_first = RouterContext(validators=("scorer",), response_format=JSON_OBJECT)
    assert validator_names(scorer_first) == ("format", "scorer")
    already = RouterContext(validators=("format", "structural"), response_format=JSON_OBJECT)
    assert validator_names(already) == ("format", "structural")
    assert validator_names(RouterContext()) == ("structural",)


def test_a_fence_is_removed_only_from_json_mode_replies() -> None:
    assert unfenced(FENCED) == PLACE_JSON
    assert unfenced("```\n[1, 2]\n```") == "[1, 2]"
    assert unfenced(PLACE_JSON) == PLACE_JSON
    reply = AIMessage(FENCED, response_metadata={"finish_reason": "stop"})
    bare = unfenced_reply(reply, JSON_OBJECT)
    assert bare.content == PLACE_JSON
    assert bare.response_metadata == reply.response_metadata
    assert unfenced_reply(reply, None) is reply


def ask(graph: Any, prompt: str = SIMPLE) -> dict[str, Any]:
    return graph.invoke({"messages": [("user", prompt)]})


def test_graph_returns_a_fenced_local_answer_as_bare_json(make_router: Any) -> None:
    state = ask(make_router(local_model="fake:fenced_json", response_format=JSON_SCHEMA))

    assert state["answered_by"] == "local"
    assert json.loads(state["messages"][-1].content) == {"city": "Paris", "country": "France"}
    assert state["verdict"]["validators"] == ["structural", "format"]


def test_graph_escalates_a_local_answer_that_is_not_json(make_router: Any) -> None:
    state = ask(
        make_router(
            local_model="fake:good", frontier_model="fake:json", response_format=JSON_OBJECT
        )
    )

    assert state["escalated"] is True
    assert state["verdict"]["failed"] == ["format"]
    assert state["answered_by"] == "frontier"
    assert state["messages"][-1].content == PLACE_JSON


# --- through the gateway, with the openai SDK --------------------------------------------


def test_openai_parse_gets_a_parsed_object_from_a_fenced_local_answer(
    fake_provider: FakeProvider,
) -> None:
    with gateway(local="fake:fenced_json") as http:
        raw = client_for(http).chat.completions.with_raw_response.parse(
            model="asymroute",
            messages=[{"role": "user", "content": SIMPLE}],
            response_format=Place,
        )
    completion = raw.parse()
    assert raw.headers["x-asymroute-tier"] == "local"
    assert completion.choices[0].message.parsed == Place(city="Paris", country="France")
    assert completion.choices[0].message.content == PLACE_JSON
    sent = fake_provider.created[-1][1].response_format
    assert sent is not None and sent["json_schema"]["name"] == "Place"


def test_streamed_json_is_sent_whole_and_bare(fake_provider: FakeProvider) -> None:
    with gateway(local="fake:fenced_json") as http:
        response = http.post(
            "/v1/chat/completions",
            json={
                "model": "asymroute",
                "messages": [{"role": "user", "content": SIMPLE}],
                "response_format": JSON_OBJECT,
                "stream": True,
            },
        )
    chunks = [e for e in sse_events(response.text) if e != "[DONE]"]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert json.loads(text) == {"city": "Paris", "country": "France"}
    assert "```" not in response.text


def test_streamed_json_from_the_frontier_is_sent_whole(fake_provider: FakeProvider) -> None:
    with gateway(local="fake:good", frontier="fake:json") as http:
        response = http.post(
            "/v1/chat/completions",
            json={
                "model": "router-0",  # every request to the frontier
                "messages": [{"role": "user", "content": SIMPLE}],
                "response_format": JSON_OBJECT,
                "stream": True,
            },
        )
    contents = [
        c["choices"][0]["delta"]["content"]
        for c in sse_events(response.text)
        if c != "[DONE]" and c["choices"] and c["choices"][0]["delta"].get("content")
    ]
    assert response.headers["x-asymroute-tier"] == "frontier"
    assert contents == [PLACE_JSON]


@pytest.mark.parametrize("response_format", [{"type": "text"}, None])
def test_text_requests_keep_their_validators(response_format: dict[str, Any] | None) -> None:
    plan = plan_run(RouterContext(response_format=response_format), Settings())
    assert [v.name for v in plan.validators] == ["structural"]
