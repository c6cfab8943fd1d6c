"""Fuzzed requests to the gateway's HTTP endpoint, in-process: never a 500, never a crash."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from asymroute.context import RouterContext
from asymroute.gateway.settings import GatewaySettings
from asymroute.providers import PROVIDERS
from tests.support.fuzz_inputs import (
    ANY_TEXT,
    CONTENT,
    HOSTILE_BODY,
    JSON_ANY,
    MESSAGES,
    ROLES,
)
from tests.support.scripted_models import ScriptedProvider

KEY = "fuzz-key-0123456789"
VALID_MESSAGE = st.fixed_dictionaries({"role": ROLES, "content": CONTENT})
CHAT_BODY = st.fixed_dictionaries(
    {"messages": st.one_of(st.lists(VALID_MESSAGE, max_size=4), MESSAGES)},
    optional={
        "model": st.one_of(
            st.sampled_from(["asymroute", "router-0.3", "router-x", "gpt-4"]), JSON_ANY
        ),
        "stream": st.one_of(st.booleans(), JSON_ANY),
        "temperature": JSON_ANY,
        "max_tokens": st.one_of(st.integers(-10, 10**9), JSON_ANY),
        "stop": JSON_ANY,
        "response_format": JSON_ANY,
        "stream_options": JSON_ANY,
        "n": JSON_ANY,
        "tools": JSON_ANY,
    },
)


def encode(value: Any) -> bytes:
    """JSON with lone surrogates and NaN kept, as a careless client might send them."""
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


BODY = st.one_of(
    CHAT_BODY.map(encode),
    JSON_ANY.map(encode),
    st.binary(max_size=200),
    ANY_TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")),
)
HEADERS = st.one_of(
    st.just({"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}),
    st.just({"Authorization": f"Bearer {KEY}"}),
    st.just({"Authorization": "Bearer wrong"}),
    st.just({}),
)


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> TestClient:
    from asymroute.gateway.app import create_app

    monkeypatch.setitem(PROVIDERS, "scripted", ScriptedProvider())
    config = GatewaySettings(
        _env_file=None,  # type: ignore[call-arg]
        ASYMROUTE_GATEWAY_KEYS=json.dumps({"fuzzer": KEY}),
        ASYMROUTE_MAX_PROMPT_CHARS=50_000,
    )
    defaults = RouterContext(local_model="scripted:local", frontier_model="scripted:frontier")
    return TestClient(create_app(config, defaults), raise_server_exceptions=True)


@settings(
    max_examples=2000,
    derandomize=True,  # the same 2,000 cases on every CI run: no flaky landings
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # one app for every example, as in production
    ],
)
@given(body=BODY, headers=HEADERS)
def test_fuzzed_requests_get_an_answer_or_a_clear_client_error(
    client: TestClient, body: bytes, headers: dict[str, str]
) -> None:
    response = client.post("/v1/chat/completions", content=body, headers=headers)

    assert response.status_code < 500, response.text
    if response.status_code != 200:
        error = response.json()["error"]
        assert error["message"].strip()
    elif response.headers.get("content-type", "").startswith("application/json"):
        assert response.json()["choices"][0]["message"]["content"] is not None
    else:  # a stream: events, then [DONE] (an error mid-stream is an event, not a crash)
        assert response.text.rstrip().endswith("data: [DONE]")


def test_the_gateway_still_answers_after_fuzzing(client: TestClient) -> None:
    body = {"model": "asymroute", "messages": [{"role": "user", "content": "What is 2+3?"}]}
    response = client.post(
        "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert response.status_code == 200 and response.json()["choices"][0]["message"]["content"]


@pytest.fixture
def watched_client(monkeypatch: pytest.MonkeyPatch) -> tuple[TestClient, ScriptedProvider]:
    """The default gateway settings (message cap included), with model calls counted."""
    from asymroute.gateway.app import create_app

    provider = ScriptedProvider()
    monkeypatch.setitem(PROVIDERS, "scripted", provider)
    config = GatewaySettings(_env_file=None, ASYMROUTE_GATEWAY_KEYS=json.dumps({"fuzzer": KEY}))  # type: ignore[call-arg]
    defaults = RouterContext(local_model="scripted:local", frontier_model="scripted:frontier")
    return TestClient(create_app(config, defaults), raise_server_exceptions=True), provider


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(body=HOSTILE_BODY)
def test_hostile_bodies_are_a_400_that_reaches_no_model(
    watched_client: tuple[TestClient, ScriptedProvider], body: bytes
) -> None:
    client, provider = watched_client
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    response = client.post("/v1/chat/completions", content=body, headers=headers)

    assert response.status_code == 400, response.text[:300]
    assert response.json()["error"]["message"].strip()
    assert provider.calls("local") + provider.calls("frontier") == 0
