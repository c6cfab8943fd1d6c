"""`asymroute serve` on its default models, with a self-hosted frontier: real clients, real JSON.

The local tier is the default embedded SmolLM2 (llama.cpp, in process); the frontier is
llama-cpp-python's OpenAI-compatible server with only OPENAI_BASE_URL set, so the configured
frontier name is the default `gpt-4o-mini` while the server serves `smollm2`. `router-1` sends
a request to the local tier, `router-0` to the frontier, whatever the default classifier says.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator

import openai
import pytest
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from asymroute.context import RouterContext
from asymroute.graphs.router import build_router
from asymroute.pricing import ModelPrice
from asymroute.settings import Settings
from bench.support.processes import free_port, running_server
from tests.integration.conftest import FRONTIER_ALIAS, OLLAMA_MODEL

LOCAL, FRONTIER = "router-1", "router-0"
PROMPT = "What is the capital of France? Answer in JSON with the city and its country."
SERVED_FRONTIER = f"openai:{FRONTIER_ALIAS}"  # what the server reports, not gpt-4o-mini


class Place(BaseModel):
    city: str
    country: str


@pytest.fixture(scope="module")
def gateway_url(openai_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    directory = tmp_path_factory.mktemp("json-gateway")
    env = {
        "OPENAI_BASE_URL": openai_server,
        # llama-cpp-python's server reads a schema only in the older json_object form.
        "ASYMROUTE_OPENAI_SCHEMA_FORM": "json_object",
        "ASYMROUTE_GATEWAY_SPEND_PATH": str(directory / "spend.sqlite"),
        "LANGSMITH_TRACING": "false",
    }
    command = [sys.executable, "-m", "asymroute.cli", "serve", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with running_server(command, f"{url}/v1/models", directory / "server.log", env=env):
        yield url


def client(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=180)


def user(prompt: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": prompt}]


@pytest.mark.parametrize(("profile", "tier"), [(LOCAL, "local"), (FRONTIER, "frontier")])
def test_openai_parse_returns_a_parsed_object(gateway_url: str, profile: str, tier: str) -> None:
    raw = client(gateway_url).chat.completions.with_raw_response.parse(
        model=profile, messages=user(PROMPT), response_format=Place
    )
    completion = raw.parse()

    assert raw.headers["x-asymroute-tier"] == tier
    assert isinstance(completion.choices[0].message.parsed, Place)
    assert json.loads(completion.choices[0].message.content or "") == (
        completion.choices[0].message.parsed.model_dump()
    )


@pytest.mark.parametrize(("profile", "tier"), [(LOCAL, "local"), (FRONTIER, "frontier")])
def test_langchain_structured_output_returns_a_parsed_object(
    gateway_url: str, profile: str, tier: str
) -> None:
    model = ChatOpenAI(model=profile, base_url=f"{gateway_url}/v1", api_key="unused", max_retries=0)  # type: ignore[call-arg]
    structured = model.with_structured_output(Place, include_raw=True)

    result = structured.invoke(PROMPT)

    assert isinstance(result["parsed"], Place), result
    assert result["raw"].response_metadata["model_name"] == (
        "llamacpp:smollm2" if tier == "local" else SERVED_FRONTIER
    )


@pytest.mark.parametrize("profile", [LOCAL, FRONTIER])
def test_json_object_mode_streams_bare_json(gateway_url: str, profile: str) -> None:
    stream = client(gateway_url).chat.completions.create(
        model=profile,
        messages=user(PROMPT),
        response_format={"type": "json_object"},
        stream=True,
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)

    assert isinstance(json.loads(text), dict)


def test_a_local_answer_that_is_not_the_json_asked_for_escalates(gateway_url: str) -> None:
    # Three tokens cannot hold the object: the local answer is cut-off JSON.
    raw = client(gateway_url).chat.completions.with_raw_response.create(
        model=LOCAL,
        messages=user(PROMPT),
        response_format={"type": "json_object"},
        max_tokens=3,
    )
    details = raw.parse().model_extra["asymroute"]

    assert raw.headers["x-asymroute-escalated"] == "true"
    assert details["validation"]["failed"] == ["format"]
    assert details["tier"] == "frontier"


@pytest.mark.parametrize("prompt", ["Say hello in French.", "hi"])
def test_the_client_s_max_tokens_keeps_the_answer_local(gateway_url: str, prompt: str) -> None:
    raw = client(gateway_url).chat.completions.with_raw_response.create(
        model=LOCAL, messages=user(prompt), max_tokens=8
    )
    completion = raw.parse()

    assert completion.choices[0].finish_reason == "length"
    assert raw.headers["x-asymroute-tier"] == "local"
    assert raw.headers["x-asymroute-escalated"] == "false"
    assert float(raw.headers["x-asymroute-cost-usd"]) == 0.0


def test_the_router_s_own_cap_still_escalates_a_cut_off_local_answer(openai_server: str) -> None:
    settings = Settings(_env_file=None, openai_base_url=openai_server)  # type: ignore[call-arg]
    context = RouterContext(threshold=1.0, max_output_tokens=8)  # no caller's cap
    state = build_router(settings, defaults=context).invoke(
        {"messages": [("user", "Say hello in French.")]}
    )

    assert state["escalated"] is True
    assert "truncated answer" in state["escalation_reason"]


def test_a_self_hosted_frontier_is_labelled_and_priced_as_served(gateway_url: str) -> None:
    raw = client(gateway_url).chat.completions.with_raw_response.create(
        model=FRONTIER, messages=user("Explain recursion in one sentence."), max_tokens=24
    )
    completion = raw.parse()
    details = completion.model_extra["asymroute"]

    assert completion.model == SERVED_FRONTIER
    assert raw.headers["x-asymroute-model"] == SERVED_FRONTIER
    assert float(raw.headers["x-asymroute-cost-usd"]) == 0.0
    assert raw.headers["x-asymroute-price-unknown"] == "true"
    assert "price_unknown" in details["flags"]
    assert [u["model"] for u in details["usage"]] == [SERVED_FRONTIER]


def test_a_price_the_user_set_costs_the_served_model(openai_server: str) -> None:
    price = ModelPrice(input_per_million=5.0, output_per_million=15.0)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        openai_base_url=openai_server,
        price_overrides={SERVED_FRONTIER: price},
    )
    graph = build_router(settings, defaults=RouterContext(threshold=0.0, max_output_tokens=16))

    state = asyncio.run(graph.ainvoke({"messages": [("user", "Name a colour.")]}))

    assert state["answer_model"] == SERVED_FRONTIER
    [usage] = state["usage"]
    assert usage["priced"] is True and usage["cost_usd"] > 0
    assert "price_unknown" not in state["flags"]


def test_an_ollama_local_tier_gets_the_schema_as_format(
    ollama_server: str, openai_server: str
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        ollama_base_url=ollama_server,
        openai_base_url=openai_server,
    )
    context = RouterContext(
        local_model=f"ollama:{OLLAMA_MODEL}",
        threshold=1.0,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "Place", "schema": Place.model_json_schema()},
        },
    )
    state = asyncio.run(
        build_router(settings, defaults=context).ainvoke({"messages": [("user", PROMPT)]})
    )

    assert state["answered_by"] == "local", state.get("escalation_reason")
    assert Place.model_validate_json(state["messages"][-1].content)
