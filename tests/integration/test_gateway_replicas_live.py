"""Two `asymroute serve` replicas sharing one Redis and one Postgres, driven by one `openai`
client that sends each request to the replica it picks, as a load balancer would.

Both tiers are faulty upstreams on loopback (bench/support/faulty_upstream.py): the local tier
speaks Ollama's protocol, the frontier OpenAI's. Checked: a key's rate limit is counted across
both replicas; a frontier failing through replica A is cooling down for replica B (B sends it
nothing); and two replicas together cannot spend more than a key's budget.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import openai
import pytest

from asymroute.gateway.spend import PostgresSpendStore
from bench.support.faulty_upstream import FaultyUpstream
from bench.support.postgres import postgres_bin, running_postgres
from bench.support.processes import free_port, running_server
from bench.support.redis import redis_server_binary, running_redis

pytestmark = pytest.mark.skipif(
    redis_server_binary() is None or postgres_bin() is None,
    reason="needs redis-server and PostgreSQL (.ci/run installs both)",
)

KEYS = {"limited": "sk-limited", "faults": "sk-faults", "capped": "sk-capped", "ops": "sk-ops"}
LIMIT = 3
BUDGET_USD = 0.01
LOCAL, FRONTIER = "ollama:stub-local", "openai:stub-frontier"
SIMPLE = "What is 2+3?"  # the heuristic classifier keeps it local
COMPLEX = "Analyze and debug this parser, then refactor it to be thread-safe."  # frontier
PRICE = {"input_per_million": 5.0, "output_per_million": 15.0}
CONTEXT = {"local_model": LOCAL, "frontier_model": FRONTIER, "classifier": "heuristic",
           "max_output_tokens": 32}  # fmt: skip
LIMITS = {"limited": {"requests": f"{LIMIT}/minute"}}


@dataclass
class Replicas:
    urls: tuple[str, str]
    local: FaultyUpstream
    frontier: FaultyUpstream
    postgres_url: str


def serve(port: int) -> list[str]:
    return [sys.executable, "-m", "asymroute.cli", "serve", "--port", str(port)]


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    logs = tmp_path_factory.mktemp("replicas")
    with (
        running_redis() as redis_url,
        running_postgres() as postgres_url,
        FaultyUpstream() as local,
        FaultyUpstream() as frontier,
    ):
        env = {
            "OLLAMA_BASE_URL": local.url,
            "OPENAI_BASE_URL": frontier.openai_url,
            "OPENAI_API_KEY": "sk-stub",
            "ASYMROUTE_GATEWAY_CONTEXT": json.dumps(CONTEXT),
            "ASYMROUTE_PRICES": json.dumps({LOCAL: PRICE, FRONTIER: PRICE}),
            "ASYMROUTE_GATEWAY_KEYS": json.dumps(KEYS),
            "ASYMROUTE_GATEWAY_ADMIN_KEYS": json.dumps(["ops"]),
            "ASYMROUTE_GATEWAY_KEY_LIMITS": json.dumps(LIMITS),
            "ASYMROUTE_GATEWAY_KEY_BUDGETS": json.dumps({"capped": BUDGET_USD}),
            "ASYMROUTE_REDIS_URL": redis_url,
            "ASYMROUTE_POSTGRES_URL": postgres_url,
            "ASYMROUTE_FRONTIER_MAX_RETRIES": "0",
            "ASYMROUTE_BREAKER_FAILURES": "2",
            "ASYMROUTE_BREAKER_COOLDOWN_S": "120",
            "LANGSMITH_TRACING": "false",
        }
        one, two = free_port(), free_port()
        urls = (f"http://127.0.0.1:{one}", f"http://127.0.0.1:{two}")
        with (
            running_server(serve(one), f"{urls[0]}/health/liveness", logs / "a.log", env=env),
            running_server(serve(two), f"{urls[1]}/health/liveness", logs / "b.log", env=env),
        ):
            yield Replicas(urls, local, frontier, postgres_url)


def ask(url: str, key: str, prompt: str = SIMPLE) -> openai.APIResponse:  # type: ignore[type-arg]
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=KEYS[key], max_retries=0)
    return client.chat.completions.with_raw_response.create(
        model="asymroute", messages=[{"role": "user", "content": prompt}]
    )


def breaker_states(url: str) -> dict[str, float]:
    metrics = httpx.get(f"{url}/metrics", headers={"authorization": f"Bearer {KEYS['ops']}"})
    metrics.raise_for_status()
    found = re.findall(r'asymroute_breaker_state\{endpoint="([^"]*)"\} (\S+)', metrics.text)
    return {endpoint: float(value) for endpoint, value in found}


def test_a_keys_rate_limit_is_counted_across_both_replicas(replicas: Replicas) -> None:
    a, b = replicas.urls
    remaining = [ask(url, "limited").headers["x-ratelimit-remaining-requests"] for url in (a, b, a)]
    with pytest.raises(openai.RateLimitError) as on_b:
        ask(b, "limited")
    with pytest.raises(openai.RateLimitError):
        ask(a, "limited")
    assert remaining == ["2", "1", "0"]
    assert on_b.value.code == "rate_limit_exceeded"


def test_a_frontier_failing_through_one_replica_is_cooling_down_for_the_other(
    replicas: Replicas,
) -> None:
    a, b = replicas.urls
    replicas.frontier.set_default("server_error")
    try:
        failed = [ask(a, "faults", COMPLEX).parse() for _ in range(2)]  # threshold 2
        deadline = time.monotonic() + 10
        while 2.0 not in breaker_states(b).values() and time.monotonic() < deadline:
            time.sleep(0.02)  # the opening travels through Redis (milliseconds)
        states_on_b = breaker_states(b)
        frontier_calls = len(replicas.frontier.calls)
        diverted = ask(b, "faults", COMPLEX)
    finally:
        replicas.frontier.set_default("ok")

    for reply in failed:
        assert reply.model == LOCAL
        assert "frontier_failed" in reply.model_extra["asymroute"]["flags"]
    assert [state for endpoint, state in states_on_b.items() if FRONTIER[7:] in endpoint] == [2.0]
    assert len(replicas.frontier.calls) == frontier_calls  # B sent the frontier nothing
    routing = diverted.parse().model_extra["asymroute"]
    assert diverted.headers["x-asymroute-tier"] == "local"
    assert "endpoint_cooldown" in routing["flags"], routing


def test_two_replicas_cannot_together_overspend_a_keys_budget(replicas: Replicas) -> None:
    a, b = replicas.urls

    def one(url: str) -> float | None:
        try:
            return float(ask(url, "capped").headers["x-asymroute-cost-usd"])
        except openai.RateLimitError as exc:
            assert exc.code == "budget_exceeded"
            return None

    with ThreadPoolExecutor(16) as pool:  # a burst on both at once
        burst = list(pool.map(one, [a, b] * 12))
    answered = {a: 0, b: 0}
    costs = [cost for cost in burst if cost is not None]
    refused_by = set()
    while len(refused_by) < 2:  # then one at a time until both replicas refuse
        for url in (a, b):
            cost = one(url)
            if cost is None:
                refused_by.add(url)
            else:
                answered[url] += 1
                costs.append(cost)
                refused_by.discard(url)

    store = PostgresSpendStore(replicas.postgres_url)
    try:
        spent = store.spent("capped")
    finally:
        store.close()
    assert min(answered.values()) >= 1, answered  # each replica spent from the one budget
    assert spent <= BUDGET_USD
    assert spent == pytest.approx(sum(costs), rel=1e-9)  # every answer charged, nothing else
    assert spent > BUDGET_USD / 2  # the budget was used, not refused from the start
