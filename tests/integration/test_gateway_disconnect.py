"""A client that hangs up cancels the run and its upstream call, and pays for what it used.

`asymroute serve` routes a request to a frontier that never answers (tests/support/
faulty_upstream.py, fault `hang`, 60 s), or that streams a few tokens and stalls
(`stall_mid_stream`); the client closes its connection once the call has reached the
frontier. The frontier must then see the gateway hang up too (the run was cancelled, nothing
keeps waiting for, or paying for, the answer), and the gateway must go on serving. A request
cut off during its frontier call is charged to the key's budget. Streamed and plain requests,
through both async HTTP stacks.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from asymroute.gateway.spend.sqlite import SqliteSpendStore
from bench.support.faulty_upstream import ChatCall, FaultyUpstream
from bench.support.processes import free_port, running_server
from tests.integration.conftest import PROJECT_ROOT

KEY = "sk-disconnect-tests"
FRONTIER_PROMPT = "Refactor this parser"  # `keywords` scores it 1.0: the frontier
LOCAL_PROMPT = "What is 2+3?"
WAIT_S = 15.0
"""How long the upstream may take to notice; without the cancellation it would wait 60 s."""


@pytest.fixture(scope="module")
def upstreams() -> Iterator[dict[str, FaultyUpstream]]:
    with FaultyUpstream() as local, FaultyUpstream(default="hang", hang_s=60.0) as frontier:
        yield {"local": local, "frontier": frontier}


@pytest.fixture(scope="module", params=["httpx", "aiohttp"])
def http_client(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def spend_path(http_client: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One spend file per gateway: in 2 of 6 CI runs the second gateway's charges on a file
    # the first had used were written only when it stopped (cause not found; the issue notes
    # it). Each gateway's charges are still read from the file it writes.
    return tmp_path_factory.mktemp(f"spend-{http_client}") / "spend.sqlite"


@pytest.fixture(scope="module")
def gateway_url(
    http_client: str,
    upstreams: dict[str, FaultyUpstream],
    spend_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    port = free_port()
    command = [
        sys.executable, "-m", "asymroute.cli", "serve", "--port", str(port),
        "--http-client", http_client,
    ]  # fmt: skip
    env = {
        "OPENAI_BASE_URL": upstreams["frontier"].openai_url,
        "OLLAMA_BASE_URL": upstreams["local"].url,
        "ASYMROUTE_GATEWAY_KEYS": json.dumps({"tests": KEY}),
        "ASYMROUTE_GATEWAY_KEY_BUDGETS": json.dumps({"tests": 1_000_000.0}),
        "ASYMROUTE_GATEWAY_SPEND_PATH": str(spend_path),
        "ASYMROUTE_PRICES": json.dumps(
            {"openai:m": {"input_per_million": 1_000_000, "output_per_million": 1_000_000}}
        ),
        "ASYMROUTE_GATEWAY_CONTEXT": json.dumps(
            {
                "local_model": "ollama:m",
                "frontier_model": "openai:m",
                "classifier": "keywords",
                "privacy": "off",
            }
        ),
        "ASYMROUTE_FRONTIER_MAX_RETRIES": "0",
        "LANGSMITH_TRACING": "false",
    }
    log = tmp_path_factory.mktemp("gateway") / "server.log"
    url = f"http://127.0.0.1:{port}"
    with running_server(command, f"{url}/v1/models", log, env=env, cwd=PROJECT_ROOT):
        yield url


def send_and_hang_up(
    url: str,
    stream: bool,
    frontier: FaultyUpstream,
    *,
    read_response: bool = False,
    api: str = "chat/completions",
) -> ChatCall:
    """Send one frontier-bound request to `/v1/{api}`; hang up once the frontier has it (and,
    if asked, once the response has started); return that call."""
    before = len(frontier.calls)
    if api == "responses":
        question: dict[str, Any] = {"input": FRONTIER_PROMPT}
    else:
        question = {"messages": [{"role": "user", "content": FRONTIER_PROMPT}]}
    body = json.dumps({"model": "asymroute", "stream": stream, **question}).encode()
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(
            f"POST /v1/{api} HTTP/1.1\r\nhost: tests\r\nauthorization: Bearer {KEY}\r\n"
            f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        eventually(lambda: len(frontier.calls) > before, "the frontier never got the call")
        if read_response:
            connection.settimeout(WAIT_S)
            assert connection.recv(65536).startswith(b"HTTP/1.1 200")
    return frontier.calls[before]


def eventually(condition: Callable[[], bool], failure: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, failure
        time.sleep(0.05)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_hanging_up_cancels_the_frontier_call_and_the_gateway_goes_on(
    gateway_url: str, upstreams: dict[str, FaultyUpstream], stream: bool, spend_path: Path
) -> None:
    before = SqliteSpendStore(spend_path).spent("tests")
    call = send_and_hang_up(gateway_url, stream, upstreams["frontier"])
    eventually(lambda: call.abandoned, "the gateway kept the abandoned frontier call open")
    # $1 a token. Plain: nothing tells how far the frontier got, so the worst case (512 tokens
    # out) is charged; streamed: its input tokens, as no text had come back yet.
    least = 512.0 if not stream else 5.0
    eventually(
        lambda: SqliteSpendStore(spend_path).spent("tests") - before >= least,
        "the abandoned request was not charged",
    )

    reply = httpx.post(
        f"{gateway_url}/v1/chat/completions",
        headers={"authorization": f"Bearer {KEY}"},
        json={"model": "asymroute", "messages": [{"role": "user", "content": LOCAL_PROMPT}]},
        timeout=30,
    )
    assert reply.status_code == 200
    assert reply.headers["x-asymroute-tier"] == "local"


@pytest.mark.parametrize("api", ["chat/completions", "responses"])
def test_a_stream_cut_off_mid_answer_closes_the_frontier_call_and_is_charged(
    gateway_url: str, upstreams: dict[str, FaultyUpstream], spend_path: Path, api: str
) -> None:
    frontier = upstreams["frontier"]
    before = SqliteSpendStore(spend_path).spent("tests")
    frontier.script("stall_mid_stream")
    call = send_and_hang_up(gateway_url, True, frontier, read_response=True, api=api)
    eventually(lambda: call.abandoned, "the gateway kept the stalled frontier stream open")
    # $1 a token: the request's tokens plus the streamed words, estimated from characters.
    eventually(
        lambda: SqliteSpendStore(spend_path).spent("tests") - before >= 5.0,
        "the cut-off stream was not charged",
    )
