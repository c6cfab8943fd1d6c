"""A key's budget is a cap under concurrency: `asymroute serve` processes on a slow upstream.

N requests at once against a budget with room for k worst cases: at most k are answered
(each is reserved before it runs and settled at its real cost after), and spend stays within
the budget. On one SQLite file, across two gateway processes sharing it, and on Postgres. A
gateway killed with requests in flight leaves reservations that its restart charges.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from asymroute.gateway.spend import PostgresSpendStore, SqliteSpendStore
from asymroute.pricing import ModelPrice
from bench.support.postgres import running_postgres
from bench.support.processes import free_port, running_server
from bench.support.upstream_stub import COMPLETION_TOKENS, PROMPT_TOKENS
from tests.integration.conftest import running_upstream_stub
from tests.support.gateway import STUB_FRONTIER, stub_gateway_env

KEY = "sk-budget-cap"
COMPLEX = "Analyze and debug this parser, then refactor it to be thread-safe."
FRONTIER = STUB_FRONTIER
PRICE = ModelPrice(input_per_million=5.0, output_per_million=15.0)
MAX_TOKENS = COMPLETION_TOKENS
# The gateway's worst case for one request: a token per prompt byte (and 4 for the message),
# and max_tokens out; the stub then reports its real usage, less.
ESTIMATE = PRICE.cost(len(COMPLEX.encode()) + 4, MAX_TOKENS)
ACTUAL = PRICE.cost(PROMPT_TOKENS, COMPLETION_TOKENS)
CALLS = 10
BUDGET = CALLS * ESTIMATE
CONCURRENT = 40
DELAY_MS = 3000  # no request settles (freeing room) before all of them have arrived


@pytest.fixture(scope="module")
def slow_stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("stub") / "stub.log"
    with running_upstream_stub(log, "--delay-ms", str(DELAY_MS)) as url:
        yield url


def gateway_env(stub: str, **store: str) -> dict[str, str]:
    return stub_gateway_env(stub, KEY, BUDGET, **store)


def serve_command(port: int) -> list[str]:
    return [sys.executable, "-m", "asymroute.cli", "serve", "--port", str(port)]


async def _ask(client: httpx.AsyncClient, url: str, stream: bool) -> int:
    body: dict[str, Any] = {
        "model": "asymroute",
        "messages": [{"role": "user", "content": COMPLEX}],
        "max_tokens": MAX_TOKENS,
        "stream": stream,
    }
    reply = await client.post(
        f"{url}/v1/chat/completions", json=body, headers={"authorization": f"Bearer {KEY}"}
    )
    if reply.status_code == 429:
        assert reply.json()["error"]["code"] == "budget_exceeded", reply.text
    elif stream:
        assert reply.text.endswith("data: [DONE]\n\n") and 'finish_reason":"stop' in reply.text
    return reply.status_code


def burst(urls: list[str], stream: bool = False) -> list[int]:
    """CONCURRENT requests at once, spread over `urls`; their status codes."""

    async def all_at_once() -> list[int]:
        limits = httpx.Limits(max_connections=CONCURRENT)
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:
            return await asyncio.gather(
                *(_ask(client, urls[i % len(urls)], stream) for i in range(CONCURRENT))
            )

    return asyncio.run(all_at_once())


def assert_capped(statuses: list[int], spent: float) -> None:
    answered = statuses.count(200)
    print(
        f"{answered}/{len(statuses)} answered for a budget of {CALLS} worst cases; "
        f"spent {spent / BUDGET:.2f}x the budget"
    )
    assert statuses.count(200) + statuses.count(429) == len(statuses), statuses
    assert 1 <= answered <= CALLS, statuses
    assert spent == pytest.approx(answered * ACTUAL)
    assert spent <= BUDGET


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_concurrent_requests_on_sqlite_answer_at_most_the_budget(
    slow_stub: str, tmp_path: Path, stream: bool
) -> None:
    path, port = tmp_path / "spend.sqlite", free_port()
    env = gateway_env(slow_stub, ASYMROUTE_GATEWAY_SPEND_PATH=str(path))
    url = f"http://127.0.0.1:{port}"
    with running_server(serve_command(port), f"{url}/v1/models", tmp_path / "gw.log", env=env):
        statuses = burst([url], stream)
    assert_capped(statuses, SqliteSpendStore(path).spent("team"))


def burst_two_gateways(env: dict[str, str], logs: Path) -> list[int]:
    """The burst, spread over two `asymroute serve` processes sharing one spend store."""
    one, two = free_port(), free_port()
    urls = [f"http://127.0.0.1:{one}", f"http://127.0.0.1:{two}"]
    with (
        running_server(serve_command(one), f"{urls[0]}/v1/models", logs / "1.log", env=env),
        running_server(serve_command(two), f"{urls[1]}/v1/models", logs / "2.log", env=env),
    ):
        return burst(urls)


def test_two_gateway_processes_sharing_a_sqlite_file_share_the_cap(
    slow_stub: str, tmp_path: Path
) -> None:
    path = tmp_path / "spend.sqlite"
    env = gateway_env(slow_stub, ASYMROUTE_GATEWAY_SPEND_PATH=str(path))
    statuses = burst_two_gateways(env, tmp_path)
    assert_capped(statuses, SqliteSpendStore(path).spent("team"))


def test_two_gateways_on_postgres_share_the_cap(slow_stub: str, tmp_path: Path) -> None:
    with running_postgres() as postgres_url:
        env = gateway_env(slow_stub, ASYMROUTE_POSTGRES_URL=postgres_url)
        statuses = burst_two_gateways(env, tmp_path)
        store = PostgresSpendStore(postgres_url)
        try:
            assert_capped(statuses, store.spent("team"))
        finally:
            store.close()


def held_reservations(path: Path) -> int:
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT COUNT(*) FROM gateway_reservations").fetchone()[0])


def test_requests_in_flight_at_a_kill_are_charged_when_the_gateway_restarts(
    slow_stub: str, tmp_path: Path
) -> None:
    path, port = tmp_path / "spend.sqlite", free_port()
    env = gateway_env(slow_stub, ASYMROUTE_GATEWAY_SPEND_PATH=str(path))
    url, in_flight = f"http://127.0.0.1:{port}", 4

    with running_server(
        serve_command(port), f"{url}/v1/models", tmp_path / "gw.log", env=env
    ) as gw:

        async def send_then_kill() -> None:
            async with httpx.AsyncClient(timeout=30) as client:
                asks = [asyncio.ensure_future(_ask(client, url, False)) for _ in range(in_flight)]
                while held_reservations(path) < in_flight:
                    await asyncio.sleep(0.05)
                os.killpg(gw.pid, signal.SIGKILL)  # kill -9, mid-call
                gw.wait(timeout=15)
                for ask in asks:
                    with pytest.raises(httpx.HTTPError):
                        await ask

        asyncio.run(send_then_kill())
    assert SqliteSpendStore(path).spent("team") == 0.0  # nothing was settled

    log = tmp_path / "restart.log"
    with running_server(serve_command(port), f"{url}/v1/models", log, env=env):
        pass
    assert SqliteSpendStore(path).spent("team") == pytest.approx(in_flight * ESTIMATE)
    assert log.read_text().count("stopped before settling it") == in_flight
