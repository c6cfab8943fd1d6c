"""Hostile and unlucky requests at the gateway: each is the request's own 4xx, never an outage.

Scripted models stand in for both tiers; the checks are what a client sees and whether the
endpoints were bothered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from asymroute.context import RouterContext
from asymroute.gateway.app import create_app
from asymroute.gateway.concurrency import KeyConcurrency
from asymroute.gateway.errors import GatewayError
from asymroute.gateway.settings import GatewaySettings
from tests.support.scripted_models import ScriptedProvider, StatusError

URL = "/v1/chat/completions"
LEAKY = "Error code: 500 - boom at http://127.0.0.1:8011/v1"


def app_client(**settings: Any) -> TestClient:
    config = GatewaySettings(
        _env_file=None,  # type: ignore[call-arg]
        ASYMROUTE_FRONTIER_MAX_RETRIES=0,
        ASYMROUTE_BREAKER_FAILURES=5,
        **settings,
    )
    defaults = RouterContext(
        local_model="scripted:local", frontier_model="scripted:frontier", classifier="heuristic"
    )
    return TestClient(create_app(config, defaults), client=("127.0.0.1", 50000))


@pytest.fixture
def http(scripted: ScriptedProvider) -> Iterator[TestClient]:
    with app_client() as client:
        yield client


def chat(content: Any = "What is 2+3?", **extra: Any) -> dict[str, Any]:
    return {"model": "asymroute", "messages": [{"role": "user", "content": content}], **extra}


def post_raw(http: TestClient, body: bytes) -> Any:
    return http.post(URL, content=body, headers={"content-type": "application/json"})


def calls(scripted: ScriptedProvider) -> int:
    return scripted.calls("local") + scripted.calls("frontier")


@pytest.mark.parametrize(
    ("content", "param"),
    [
        ("hi \ud800", "messages[0].content"),
        ([{"type": "text", "text": "half an emoji \ud83d"}], "messages[0].content[0].text"),
    ],
)
def test_lone_surrogates_are_a_400_naming_the_field_and_open_no_breaker(
    http: TestClient, scripted: ScriptedProvider, content: Any, param: str
) -> None:
    body = json.dumps(chat(content)).encode()  # ensure_ascii: "\ud800" as a JS client sends it
    for _ in range(6):  # more than the breaker's threshold
        response = post_raw(http, body)
        assert response.status_code == 400
        assert response.json()["error"]["param"] == param
        assert "surrogate" in response.json()["error"]["message"]
    assert calls(scripted) == 0
    assert http.post(URL, json=chat()).status_code == 200  # every other client is still served


def test_a_lone_surrogate_in_the_name_field_is_a_400(http: TestClient) -> None:
    body = chat()
    body["messages"][0]["name"] = "bob\udc00"
    response = post_raw(http, json.dumps(body).encode())
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "messages[0].name"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"model": "asymroute", "max_tokens": ' + b"9" * 4401 + b"}", "thousands of digits"),
        (b'{"a": ' * 50_000 + b"1" + b"}" * 50_000, "nested too deeply"),
    ],
)
def test_deep_nesting_and_huge_integers_are_a_400_not_a_500(
    http: TestClient, scripted: ScriptedProvider, body: bytes, fragment: str
) -> None:
    response = post_raw(http, body)
    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]
    assert calls(scripted) == 0


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
def test_an_absurd_max_tokens_is_a_400_and_never_forwarded(
    http: TestClient, scripted: ScriptedProvider, field: str
) -> None:
    response = http.post(URL, json=chat(**{field: 10**30}))
    assert response.status_code == 400
    assert response.json()["error"]["param"] == field
    assert "1,000,000" in response.json()["error"]["message"]
    assert calls(scripted) == 0
    assert http.post(URL, json=chat(**{field: 1_000_000})).status_code == 200


def test_messages_over_the_cap_are_a_400_naming_the_setting(scripted: ScriptedProvider) -> None:
    with app_client(ASYMROUTE_GATEWAY_MAX_MESSAGES=5) as http:
        body = chat()
        body["messages"] = [{"role": "user", "content": "hi"}] * 6
        response = http.post(URL, json=body)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "too_many_messages"
        assert "ASYMROUTE_GATEWAY_MAX_MESSAGES" in response.json()["error"]["message"]
        assert calls(scripted) == 0
        body["messages"] = body["messages"][:5]
        assert http.post(URL, json=body).status_code == 200


def test_the_default_cap_holds_the_20000_message_request(
    http: TestClient, scripted: ScriptedProvider
) -> None:
    body = chat()
    body["messages"] = [{"role": "user", "content": "hi"}] * 20_000  # 700 KB, under the body cap
    response = http.post(URL, json=body)
    assert response.status_code == 400 and "1,000" in response.json()["error"]["message"]
    assert calls(scripted) == 0


def test_upstream_error_text_and_urls_stay_in_the_log(
    http: TestClient, scripted: ScriptedProvider, caplog: pytest.LogCaptureFixture
) -> None:
    scripted.script("local", StatusError(500))
    scripted.script("frontier", StatusError(500))
    for fault in ("local", "frontier"):
        scripted.scripts[fault][0].args = (LEAKY,)
    response = http.post(URL, json=chat())
    assert response.status_code == 502
    text = response.text
    assert "boom" not in text and "127.0.0.1" not in text and "8011" not in text
    message = response.json()["error"]["message"]
    request_id = message.split("request id ")[1].split(")")[0]
    logged = [r.getMessage() for r in caplog.records if request_id in r.getMessage()]
    assert logged and "boom" in logged[0]


def test_a_recovered_request_does_not_quote_the_failed_upstream(
    http: TestClient, scripted: ScriptedProvider
) -> None:
    scripted.script("local", StatusError(500))
    scripted.scripts["local"][0].args = (LEAKY,)
    response = http.post(URL, json=chat())
    assert response.status_code == 200 and response.json()["asymroute"]["tier"] == "frontier"
    assert "boom" not in response.text and "127.0.0.1" not in response.text
    failed = [u for u in response.json()["asymroute"]["usage"] if u["error"]]
    assert failed[0]["error"] == "StatusError"
    assert failed[0]["attempt_errors"] == ["StatusError"]


def test_a_key_over_its_concurrency_limit_gets_a_429_and_slots_are_returned(
    scripted: ScriptedProvider,
) -> None:
    with app_client(ASYMROUTE_GATEWAY_MAX_CONCURRENT_PER_KEY=2) as http:
        limiter = http.app.state.gateway.in_flight  # type: ignore[attr-defined]
        assert http.post(URL, json=chat()).status_code == 200
        assert http.post(URL, json=chat(stream=True)).status_code == 200
        assert http.post(URL, json=chat(max_tokens=0)).status_code == 400
        assert not limiter.in_flight  # answered, streamed and refused requests all gave theirs back
        limiter.in_flight["anonymous"] = 2  # two requests of this key still running
        response = http.post(URL, json=chat())
        assert response.status_code == 429
        assert response.json()["error"]["code"] == "concurrency_limit_exceeded"
        assert response.headers["retry-after"] == "1"


def test_key_concurrency_counts_per_key_and_zero_means_no_limit() -> None:
    limiter = KeyConcurrency(1)
    slot = limiter.acquire("a")
    limiter.acquire("b")
    with pytest.raises(GatewayError) as caught:
        limiter.acquire("a")
    assert caught.value.status == 429
    slot.release()
    slot.release()  # idempotent
    limiter.acquire("a")
    unlimited = KeyConcurrency(0)
    for _ in range(1000):
        unlimited.acquire("a")
