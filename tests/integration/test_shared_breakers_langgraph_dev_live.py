"""`langgraph dev` with ASYMROUTE_REDIS_URL: the LangGraph server (which rejects blocking calls
on its event loop) serves the gateway and the router graph with breakers shared through Redis.
An endpoint opened by another process (a registry in this test, standing for a replica) is
cooling down for both: the gateway and a LangGraph API run send it nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import openai
import pytest

from asymroute.providers import endpoint_of, parse_model
from asymroute.resilience.shared_breaker import SharedBreakerRegistry, wait_until_shared
from asymroute.settings import Settings
from bench.support.faulty_upstream import FaultyUpstream
from bench.support.redis import redis_server_binary, running_redis
from tests.support.langgraph_dev import langgraph_dev_server

pytestmark = pytest.mark.skipif(
    redis_server_binary() is None, reason="redis-server is not installed (.ci/run installs it)"
)
LOCAL, FRONTIER = "ollama:stub-local", "openai:stub-frontier"
COMPLEX = "Analyze and debug this parser, then refactor it to be thread-safe."  # frontier
USER = {"role": "user", "content": COMPLEX}
SIMPLE = {"role": "user", "content": "What is 2+3?"}
CONTEXT = {"local_model": LOCAL, "frontier_model": FRONTIER, "classifier": "heuristic"}
USER = {"role": "user", "content": COMPLEX}
SIMPLE = {"role": "user", "content": "What is 2+3?"}


@dataclass
class Server:
    url: str
    redis_url: str
    frontier: FaultyUpstream


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("langgraph-dev-breakers")
    with running_redis() as redis_url, FaultyUpstream() as local, FaultyUpstream() as frontier:
        env = {
            "OLLAMA_BASE_URL": local.url,
            "OPENAI_BASE_URL": frontier.openai_url,
            "OPENAI_API_KEY": "sk-stub",
            "ASYMROUTE_GATEWAY_CONTEXT": json.dumps(CONTEXT),
            "ASYMROUTE_REDIS_URL": redis_url,
            "ASYMROUTE_BREAKER_COOLDOWN_S": "300",
            "ASYMROUTE_GATEWAY_SPEND_PATH": str(directory / "spend.sqlite"),
        }
        with langgraph_dev_server(env, directory) as url:
            yield Server(url, redis_url, frontier)


def metrics(url: str) -> str:
    return httpx.get(f"{url}/metrics", timeout=30).text


def test_a_cooldown_opened_elsewhere_diverts_the_gateway_and_the_langgraph_api(
    server: Server,
) -> None:
    gateway = openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)
    first = gateway.chat.completions.create(
        model="asymroute", messages=[{"role": "user", "content": COMPLEX}]
    )
    # The server builds its graphs on their first run: after that, they hear every change.
    warm_up = {"assistant_id": "router", "input": {"messages": [SIMPLE]}, "context": CONTEXT}
    assert httpx.post(f"{server.url}/runs/wait", json=warm_up, timeout=120).status_code == 200
    settings = Settings(OPENAI_BASE_URL=server.frontier.openai_url)
    endpoint = endpoint_of(parse_model(FRONTIER), settings)
    replica = SharedBreakerRegistry(5, 300.0, server.redis_url)
    try:
        assert wait_until_shared(replica, 10)
        for _ in range(5):
            replica.record_failure(endpoint)
    finally:
        replica.close()  # the opening went out first: the publisher sends before it stops
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and f'{endpoint}"}} 2.0' not in metrics(server.url):
        time.sleep(0.02)  # the change travels through Redis (milliseconds)
    calls = len(server.frontier.calls)
    diverted = gateway.chat.completions.create(
        model="asymroute", messages=[{"role": "user", "content": COMPLEX}]
    )
    run = httpx.post(
        f"{server.url}/runs/wait",
        json={"assistant_id": "router", "input": {"messages": [USER]}, "context": CONTEXT},
        timeout=120,
    )

    assert first.model == FRONTIER  # before: the frontier answered
    assert diverted.model == LOCAL
    assert "endpoint_cooldown" in diverted.model_extra["asymroute"]["flags"]
    assert run.status_code == 200, run.text
    assert "frontier" in run.json()["decision"].get("cooling_down", []), run.json()["decision"]
    assert len(server.frontier.calls) == calls  # neither sent the frontier anything
