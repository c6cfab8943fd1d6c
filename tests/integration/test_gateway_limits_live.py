"""Rate limits and /metrics on `asymroute serve`, driven by the official `openai` SDK.

One gateway on the default configuration (the embedded llama.cpp local tier, the frontier on
the upstream stub) with a per-key request limit and an admin key; then two gateway processes
sharing one Redis (Debian's redis-server, started on a free port), where the second refuses
once the first has used the key's quota; and a gateway whose Redis is down (503, fail closed).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
import openai
import pytest

from bench.support.processes import free_port, running_server
from bench.support.redis import redis_server_binary, running_redis
from tests.support.gateway import stub_gateway_env

KEY, ADMIN = "sk-limited", "sk-admin"
LIMIT = 3


def serve(port: int) -> list[str]:
    return [sys.executable, "-m", "asymroute.cli", "serve", "--port", str(port)]


def client(url: str, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)


def ask(url: str, key: str = KEY) -> openai.APIResponse:  # type: ignore[type-arg]
    return client(url, key).chat.completions.with_raw_response.create(
        model="asymroute",
        messages=[{"role": "user", "content": "What is 2+3?"}],
        max_tokens=8,
    )


def test_default_gateway_limits_requests_and_serves_metrics_to_its_admin(
    stub_url: str, tmp_path: Path
) -> None:
    env = {
        "OPENAI_BASE_URL": f"{stub_url}/v1",  # the frontier; the local tier is the default
        "OPENAI_API_KEY": "sk-stub",
        "ASYMROUTE_GATEWAY_SPEND_PATH": str(tmp_path / "spend.sqlite"),
        "ASYMROUTE_GATEWAY_KEYS": json.dumps({"app": KEY, "ops": ADMIN}),
        "ASYMROUTE_GATEWAY_KEY_LIMITS": json.dumps(
            {"app": {"requests": f"{LIMIT}/minute", "tokens": "100000/minute; 1000000/day"}}
        ),
        "ASYMROUTE_GATEWAY_ADMIN_KEYS": json.dumps(["ops"]),
        "LANGSMITH_TRACING": "false",
    }
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running_server(serve(port), f"{url}/health/liveness", tmp_path / "gw.log", env=env):
        answered = [ask(url) for _ in range(LIMIT)]
        remaining = [raw.headers["x-ratelimit-remaining-requests"] for raw in answered]
        with pytest.raises(openai.RateLimitError) as refused:
            ask(url)
        refused_by_metrics = httpx.get(f"{url}/metrics", headers={"authorization": f"Bearer {KEY}"})
        metrics = httpx.get(f"{url}/metrics", headers={"authorization": f"Bearer {ADMIN}"})
        ask(url, ADMIN)  # a key without limits is not refused

    assert remaining == [str(LIMIT - n) for n in range(1, LIMIT + 1)]
    assert answered[0].headers["x-ratelimit-limit-tokens"] == "100000"
    assert answered[0].parse().choices[0].message.content
    assert 1 <= int(refused.value.response.headers["retry-after"]) <= 60
    assert refused.value.code == "rate_limit_exceeded"
    assert refused_by_metrics.status_code == 403
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'asymroute_refusals_total{code="rate_limit_exceeded",status="429"} 1.0' in text
    assert f'route="/v1/chat/completions",status="200"}} {LIMIT}.0' in text
    assert 'asymroute_http_responses_total{route="/metrics",status="403"} 1.0' in text
    assert "asymroute_chat_requests_total{" in text and 'outcome="answered"' in text
    assert any(
        line.startswith("asymroute_tokens_total{") and 'direction="output"' in line
        and 'key="app"' in line and "deployment=" in line
        for line in text.splitlines()
    )  # fmt: skip
    assert f"asymroute_gateway_overhead_seconds_count {LIMIT}.0" in text


needs_redis = pytest.mark.skipif(
    redis_server_binary() is None, reason="redis-server is not installed (.ci/run installs it)"
)


@needs_redis
def test_two_replicas_sharing_redis_share_a_keys_limit(stub_url: str, tmp_path: Path) -> None:
    with running_redis() as redis_url:
        env = stub_gateway_env(
            stub_url,
            KEY,
            1.0,
            ASYMROUTE_GATEWAY_SPEND_PATH=str(tmp_path / "spend.sqlite"),
            ASYMROUTE_REDIS_URL=redis_url,
            ASYMROUTE_GATEWAY_KEY_LIMITS=json.dumps({"team": {"requests": f"{LIMIT}/minute"}}),
        )
        one, two = free_port(), free_port()
        first, second = f"http://127.0.0.1:{one}", f"http://127.0.0.1:{two}"
        with (
            running_server(serve(one), f"{first}/health/liveness", tmp_path / "1.log", env=env),
            running_server(serve(two), f"{second}/health/liveness", tmp_path / "2.log", env=env),
        ):
            by_first = [ask(first).headers["x-ratelimit-remaining-requests"] for _ in range(LIMIT)]
            with pytest.raises(openai.RateLimitError):
                ask(second)

    assert by_first == [str(LIMIT - n) for n in range(1, LIMIT + 1)]


def test_a_gateway_whose_redis_is_down_is_not_ready_and_refuses_with_503(
    stub_url: str, tmp_path: Path
) -> None:
    env = stub_gateway_env(
        stub_url,
        KEY,
        1.0,
        ASYMROUTE_GATEWAY_SPEND_PATH=str(tmp_path / "spend.sqlite"),
        ASYMROUTE_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        ASYMROUTE_GATEWAY_KEY_LIMITS=json.dumps({"team": {"requests": "5/minute"}}),
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running_server(serve(port), f"{url}/health/liveness", tmp_path / "gw.log", env=env):
        ready = httpx.get(f"{url}/health/readiness")
        with pytest.raises(openai.InternalServerError) as failed:
            ask(url)
    assert ready.status_code == 503
    assert ready.json()["reason"] == "the rate-limit store cannot be reached"
    assert failed.value.status_code == 503
    assert failed.value.code == "rate_limit_store_unavailable"


def test_metrics_of_several_workers_are_summed(stub_url: str, tmp_path: Path) -> None:
    """`asymroute serve --workers 2`: each request and scrape on a new connection, so the
    kernel spreads them over both workers; every scrape counts every request."""
    env = stub_gateway_env(
        stub_url,
        KEY,
        1.0,
        ASYMROUTE_GATEWAY_SPEND_PATH=str(tmp_path / "spend.sqlite"),
        ASYMROUTE_GATEWAY_ADMIN_KEYS=json.dumps(["team"]),
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [*serve(port), "--workers", "2"]
    requests = 8
    body = {"model": "asymroute", "messages": [{"role": "user", "content": "What is 2+3?"}]}
    auth = {"authorization": f"Bearer {KEY}"}
    with running_server(command, f"{url}/health/liveness", tmp_path / "gw.log", env=env):
        for _ in range(requests):
            httpx.post(f"{url}/v1/chat/completions", json=body, headers=auth).raise_for_status()
        scrapes = [httpx.get(f"{url}/metrics", headers=auth) for _ in range(6)]
    answered = '{route="/v1/chat/completions",status="200"}'
    line = f"asymroute_http_responses_total{answered} {requests}.0"
    assert all(line in scrape.text for scrape in scrapes), scrapes[0].text
