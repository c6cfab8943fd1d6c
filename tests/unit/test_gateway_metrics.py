"""GET /metrics: who may read it, and what the counters say after a few requests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from asymroute.errors import ConfigurationError
from asymroute.gateway.metrics import GatewayMetrics, escalation_reasons
from asymroute.gateway.settings import load_gateway_settings
from asymroute.resilience.breaker import BreakerRegistry
from tests.support.fake_provider import FakeProvider
from tests.support.gateway_app import COMPLEX, KEY, ask, client_for, gateway

ADMIN = "sk-admin-key"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def scrape(http: TestClient, key: str | None = ADMIN) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return http.get("/metrics", headers=headers)


@pytest.fixture
def http(fake_provider: FakeProvider) -> Iterator[TestClient]:
    with gateway(
        gateway_keys={"team": KEY, "ops": ADMIN},
        gateway_admin_keys=["ops"],
        gateway_key_limits={"team": {"requests": "3/minute"}},
    ) as client:
        yield client


def test_only_admin_keys_read_the_metrics(http: TestClient) -> None:
    assert scrape(http, None).status_code == 401
    refused = scrape(http, KEY)
    assert refused.status_code == 403
    assert "ASYMROUTE_GATEWAY_ADMIN_KEYS" in refused.json()["error"]["message"]
    assert scrape(http).status_code == 200


def test_without_keys_the_metrics_are_for_loopback_clients_only(
    fake_provider: FakeProvider,
) -> None:
    with gateway() as http:
        assert scrape(http, None).status_code == 200
        remote = TestClient(http.app, client=("203.0.113.9", 1234))
        assert scrape(remote, None).status_code == 403


def test_an_admin_key_that_does_not_exist_fails_at_start(fake_provider: FakeProvider) -> None:
    with pytest.raises(ConfigurationError, match=r"ADMIN_KEYS names keys not in .*: ghost"):
        gateway(gateway_keys={"team": KEY}, gateway_admin_keys=["ghost"])


def test_counters_after_a_few_requests(http: TestClient) -> None:
    client = client_for(http)
    ask(client)  # local
    ask(client, COMPLEX)  # frontier: 1000 tokens in, 500 out, $0.0125
    assert list(ask(client, stream=True).parse())  # read to its end
    with pytest.raises(openai.RateLimitError, match="reached its limit"):
        ask(client)
    text = scrape(http).text

    chat = "asymroute_chat_requests_total"
    assert value(text, chat, profile="asymroute", routed_tier="local", tier="local",
                 deployment="fake:good", outcome="answered") == 2  # fmt: skip
    assert value(text, chat, profile="asymroute", routed_tier="frontier", tier="frontier",
                 deployment="fake:frontier", outcome="answered") == 1  # fmt: skip
    http_total = "asymroute_http_responses_total"
    assert value(text, http_total, route="/v1/chat/completions", status="200") == 3
    assert value(text, http_total, route="/v1/chat/completions", status="429") == 1
    assert value(text, "asymroute_refusals_total", status="429", code="rate_limit_exceeded") == 1
    tokens = "asymroute_tokens_total"
    frontier = {"key": "team", "tier": "frontier", "deployment": "fake:frontier"}
    assert value(text, tokens, **frontier, direction="input") == 1000
    assert value(text, tokens, **frontier, direction="output") == 500
    assert value(text, "asymroute_cost_usd_total", **frontier) == pytest.approx(0.0125)
    assert value(text, "asymroute_gateway_overhead_seconds_count") == 3
    assert value(text, "asymroute_request_duration_seconds_count") == 3


def test_unknown_paths_share_one_label(http: TestClient) -> None:
    for path in ("/a", "/b", "/wp-login.php"):
        http.get(path)
    assert value(scrape(http).text, "asymroute_http_responses_total", route="other",
                 status="404") == 3  # fmt: skip


def test_escalations_are_counted_by_failed_validator_name() -> None:
    state = {
        "escalated": True,
        "verdict": {"passed": False, "reasons": ["refusal: 'I cannot'", "too_short: 3 chars"]},
    }
    assert escalation_reasons(state) == ["refusal", "too_short"]
    assert escalation_reasons({"escalated": True}) == ["other"]


def test_breaker_states_are_read_at_scrape_time() -> None:
    now = [0.0]
    breakers = BreakerRegistry(failure_threshold=1, cooldown_s=10, clock=lambda: now[0])
    metrics = GatewayMetrics(breakers)
    breakers.record_failure("http://a/v1")
    breakers.record_success("http://b/v1")
    text = metrics.exposition().decode()
    assert value(text, "asymroute_breaker_state", endpoint="http://a/v1") == 2
    assert value(text, "asymroute_breaker_state", endpoint="http://b/v1") == 0
    now[0] = 11.0
    text = metrics.exposition().decode()
    assert value(text, "asymroute_breaker_state", endpoint="http://a/v1") == 1


@pytest.mark.parametrize(("text", "names"), [("", []), ('["ops"]', ["ops"])])
def test_admin_keys_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, text: str, names: list[str]
) -> None:
    monkeypatch.setenv("ASYMROUTE_GATEWAY_ADMIN_KEYS", text)
    assert load_gateway_settings(_env_file=None).gateway_admin_keys == names
