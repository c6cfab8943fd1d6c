"""The gateway app in process, with scripted fake models and the official `openai` client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest
from starlette.testclient import TestClient

from asymroute.context import RouterContext
from asymroute.gateway.keys import hash_key
from tests.support.fake_provider import FRONTIER_ANSWER, GOOD_ANSWER, REFUSAL, FakeProvider
from tests.support.gateway_app import COMPLEX, KEY, ask, client_for, gateway


@pytest.fixture
def http(fake_provider: FakeProvider) -> Iterator[TestClient]:
    with gateway() as client:
        yield client


def test_simple_request_is_answered_locally_with_routing_headers(http: TestClient) -> None:
    raw = ask(client_for(http))
    completion = raw.parse()

    assert completion.model == "fake:good"
    assert completion.choices[0].message.content == GOOD_ANSWER
    assert completion.choices[0].finish_reason == "stop"
    assert raw.headers["x-asymroute-tier"] == "local"
    assert raw.headers["x-asymroute-model"] == "fake:good"
    assert raw.headers["x-asymroute-escalated"] == "false"
    assert float(raw.headers["x-asymroute-cost-usd"]) == 0.0
    assert float(raw.headers["x-asymroute-overhead-ms"]) >= 0.0
    details = completion.model_extra["asymroute"]
    assert details["routed_tier"] == "local" and details["profile"] == "asymroute"


def test_complex_request_is_answered_by_the_frontier_and_costed(http: TestClient) -> None:
    raw = ask(client_for(http), COMPLEX)
    completion = raw.parse()

    assert completion.model == "fake:frontier"
    assert completion.choices[0].message.content == FRONTIER_ANSWER
    assert completion.usage.prompt_tokens == 1000 and completion.usage.completion_tokens == 500
    assert raw.headers["x-asymroute-tier"] == "frontier"
    assert float(raw.headers["x-asymroute-cost-usd"]) == pytest.approx(0.0125)


def test_rejected_local_answer_escalates(fake_provider: FakeProvider) -> None:
    with gateway(local="fake:refusal") as http:
        raw = ask(client_for(http))
    assert raw.parse().model == "fake:frontier"
    assert raw.headers["x-asymroute-escalated"] == "true"
    assert REFUSAL not in raw.text


@pytest.mark.parametrize(
    ("profile", "threshold"),
    [
        ("asymroute", 0.5),
        ("asymroute-cheap", 0.75),
        ("asymroute-quality", 0.25),
        ("router-0.9", 0.9),
    ],
)
def test_profiles_set_the_threshold(http: TestClient, profile: str, threshold: float) -> None:
    completion = ask(client_for(http), model=profile).parse()
    assert completion.model_extra["asymroute"]["threshold"] == threshold


def test_router_threshold_zero_sends_everything_to_the_frontier(http: TestClient) -> None:
    assert ask(client_for(http), model="router-0").parse().model == "fake:frontier"


@pytest.mark.parametrize("model", ["gpt-4o", "router-2", "router-x", "router-nan"])
def test_unknown_model_is_404(http: TestClient, model: str) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        ask(client_for(http), model=model)
    assert caught.value.body["code"] == "model_not_found"


def test_models_lists_the_profiles(http: TestClient) -> None:
    ids = [model.id for model in client_for(http).models.list()]
    assert ids == ["asymroute", "asymroute-cheap", "asymroute-quality"]
    assert client_for(http).models.retrieve("router-0.4").id == "router-0.4"
    with pytest.raises(openai.NotFoundError):
        client_for(http).models.retrieve("gpt-4o")


def test_parameters_reach_the_models(http: TestClient, fake_provider: FakeProvider) -> None:
    ask(client_for(http), max_tokens=7, temperature=0.3, stop=["\n\n", "END"])
    options = fake_provider.created[-1][1]
    assert (options.max_output_tokens, options.temperature) == (7, 0.3)
    assert options.stop == ("\n\n", "END")


def spy_on_graph(http: TestClient) -> list[tuple[Any, RouterContext]]:
    """Each (config, context) the gateway runs its graph with, from now on."""
    seen: list[tuple[Any, RouterContext]] = []
    gateway_state = http.app.state.gateway  # type: ignore[attr-defined]
    graph = gateway_state.graph

    class Spy:
        def astream(
            self, graph_input: Any, config: Any, context: RouterContext, **options: Any
        ) -> Any:
            seen.append((config, context))
            return graph.astream(graph_input, config, context=context, **options)

    gateway_state.graph = Spy()
    return seen


def test_response_format_reaches_the_run_context(http: TestClient) -> None:
    seen = spy_on_graph(http)
    ask(client_for(http), response_format={"type": "json_object"})
    assert seen[0][1].response_format == {"type": "json_object"}


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"n": 2}, "n"),
        ({"functions": [{"name": "f"}]}, "functions"),
        ({"logprobs": True}, "logprobs"),
        ({"seed": 1}, "seed"),
        ({"top_p": 0.5}, "top_p"),
        ({"frequency_penalty": 0.5}, "frequency_penalty"),
    ],
)
def test_unsupported_parameters_are_rejected(http: TestClient, extra: dict, param: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        ask(client_for(http), **extra)
    assert caught.value.status_code == 400
    assert caught.value.body["param"] == param
    assert caught.value.body["code"] == "unsupported_parameter"


def test_no_op_values_of_unsupported_parameters_are_accepted(http: TestClient) -> None:
    assert ask(client_for(http), n=1, top_p=1, logprobs=False).parse().model == "fake:good"


@pytest.mark.parametrize(
    ("method", "path", "status", "fragment"),
    [
        ("POST", "/v1/embeddings", 404, "does not serve POST /v1/embeddings; it serves POST"),
        ("POST", "/v1/completions", 404, "POST /v1/chat/completions, POST /v1/responses"),
        ("GET", "/v1/chat/completions", 405, "send POST /v1/chat/completions"),
        ("POST", "/v1/models", 405, "send GET /v1/models"),
        ("POST", "/v1/chat/completions/", 404, "send it to /v1/chat/completions, without"),
        ("DELETE", "/v1/responses/resp_1", 404, "stores no responses"),
        ("POST", "/v1/responses/resp_1/cancel", 404, "stores no responses"),
    ],
)
def test_what_is_not_served_is_an_openai_error_naming_what_is(
    http: TestClient, method: str, path: str, status: int, fragment: str
) -> None:
    response = http.request(method, path, json={"model": "asymroute"})
    assert response.status_code == status
    assert fragment in response.json()["error"]["message"]


def test_the_openai_sdk_reads_the_message_of_an_unserved_endpoint(http: TestClient) -> None:
    with pytest.raises(openai.NotFoundError, match="does not serve POST /v1/embeddings"):
        client_for(http).embeddings.create(model="text-embedding-3-small", input="hi")


def test_unknown_argument_is_rejected(http: TestClient) -> None:
    with pytest.raises(openai.BadRequestError, match="unrecognized request argument"):
        ask(client_for(http), extra_body={"frobnicate": True})


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"model": "asymroute"}', "'messages' must be a non-empty array"),
        (b'{"model": 3, "messages": []}', "'model' is required and must be a string"),
        (
            b'{"model": "asymroute", "messages": [{"role": "user", "content": 5}]}',
            "content must be a string",
        ),
        (
            b'{"model": "asymroute", "messages": [{"role": "user", "content": "hi"}], '
            b'"temperature": "hot"}',
            "'temperature' must be a number",
        ),
        (
            b'{"model": "asymroute", "messages": [{"role": "user", "content": "  "}]}',
            "empty or whitespace",
        ),
        (
            b'{"model": "asymroute", "messages": [{"role": "user", "content": "hi"}], '
            b'"temperature": NaN}',
            "'temperature' must be a number",
        ),
    ],
)
def test_malformed_requests_get_a_clear_400(http: TestClient, body: bytes, fragment: str) -> None:
    response = http.post("/v1/chat/completions", content=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert fragment in error["message"]
    assert set(error) == {"message", "type", "param", "code"}
    # ...and the server keeps serving.
    assert ask(client_for(http)).parse().model == "fake:good"


def test_oversize_body_is_413(fake_provider: FakeProvider) -> None:
    with gateway(gateway_max_body_bytes=2000) as http:
        response = http.post(
            "/v1/chat/completions",
            json={"model": "asymroute", "messages": [{"role": "user", "content": "x" * 5000}]},
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "request_too_large"
        assert ask(client_for(http)).parse().model == "fake:good"


def test_keys_are_required_when_configured(fake_provider: FakeProvider) -> None:
    with gateway(gateway_keys={"team": KEY}) as http:
        assert ask(client_for(http)).parse().model == "fake:good"
        with pytest.raises(openai.AuthenticationError) as caught:
            ask(client_for(http, key="sk-wrong"))
        assert caught.value.body["code"] == "invalid_api_key"
        missing = http.post("/v1/chat/completions", json={"model": "asymroute"})
        assert missing.status_code == 401
        assert http.get("/v1/models").status_code == 401


def test_hashed_keys_work_and_budgets_are_enforced(fake_provider: FakeProvider) -> None:
    with gateway(
        gateway_keys={"team": hash_key(KEY)}, gateway_key_budgets_usd={"team": 0.01}
    ) as http:
        client = client_for(http)
        assert ask(client).parse().model == "fake:good"  # $0: local
        ask(client, COMPLEX)  # $0.0125: the frontier spends the budget
        with pytest.raises(openai.RateLimitError) as caught:
            ask(client)
        assert caught.value.body["code"] == "budget_exceeded"
        assert caught.value.body["type"] == "insufficient_quota"


def test_without_keys_only_loopback_clients_are_served(fake_provider: FakeProvider) -> None:
    app = gateway().app
    with TestClient(app, client=("203.0.113.9", 40000)) as remote:
        response = remote.post("/v1/chat/completions", json={})
        assert response.status_code == 403
        assert "ASYMROUTE_GATEWAY_KEYS" in response.json()["error"]["message"]


def test_a_response_names_its_trace_and_the_trace_names_the_response(http: TestClient) -> None:
    seen = spy_on_graph(http)
    raw = ask(client_for(http))
    config = seen[0][0]
    assert str(config["run_id"]) == raw.headers["x-asymroute-run-id"]
    assert config["metadata"]["completion_id"] == raw.parse().id
    assert config["metadata"]["gateway_model"] == "asymroute"


def test_readiness_without_budgets_needs_no_spend_store(http: TestClient) -> None:
    ready = http.get("/health/readiness")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "spend_store": "not needed (no budgets)"}
    assert http.post("/health/liveness").status_code == 405  # GET only
