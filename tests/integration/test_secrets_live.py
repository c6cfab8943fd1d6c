"""API keys and gateway keys never reach state, checkpoints, logs, exceptions or LangSmith.

Requests run with recognisable keys against an upstream that quotes the Authorization header
back in its 401 error (as careless servers do), with tracing to a LangSmith capture server on
loopback, every log record at DEBUG, and a SQLite checkpointer; then every byte of it is
searched for the keys.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.tracers.langchain import wait_for_all_tracers
from langgraph.checkpoint.sqlite import SqliteSaver

from asymroute.context import RouterContext
from asymroute.errors import NoAnswerError
from asymroute.gateway.settings import GatewaySettings
from asymroute.graphs.router import build_router
from asymroute.records import result_json
from bench.support.faulty_upstream import FaultyUpstream
from tests.support.langsmith_capture import LangSmithCapture, reset_langsmith_client

OPENAI_KEY = "sk-canaryOPENAIkey0000111122223333444455556666"
GATEWAY_KEY = "gwkey-canary-7777888899990000aaaabbbbcccc"
WRONG_GATEWAY_KEY = "gwkey-canary-wrong-dddd0000eeee1111ffff"
POSTGRES_PASSWORD = "pg-canary-password-123456"
CANARIES = (OPENAI_KEY, GATEWAY_KEY, WRONG_GATEWAY_KEY, POSTGRES_PASSWORD)


@pytest.fixture
def upstream() -> Iterator[FaultyUpstream]:
    with FaultyUpstream() as server:
        yield server


@pytest.fixture
def traced(
    langsmith_capture: LangSmithCapture, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LangSmithCapture]:
    wait_for_all_tracers()
    langsmith_capture.clear()
    for name, value in {
        "LANGSMITH_TRACING": "true",
        "LANGSMITH_ENDPOINT": langsmith_capture.url,
        "LANGSMITH_API_KEY": "ls-test-key",
        "LANGSMITH_PROJECT": "asymroute-secrets",
        "LANGSMITH_DISABLE_RUN_COMPRESSION": "true",
    }.items():
        monkeypatch.setenv(name, value)
    reset_langsmith_client()
    yield langsmith_capture
    wait_for_all_tracers()
    monkeypatch.delenv("LANGSMITH_TRACING")
    reset_langsmith_client()


def secret_settings(upstream: FaultyUpstream, tmp_path: Path) -> GatewaySettings:
    return GatewaySettings(
        _env_file=None,  # type: ignore[call-arg]
        OPENAI_API_KEY=OPENAI_KEY,
        OPENAI_BASE_URL=upstream.openai_url,
        OLLAMA_BASE_URL=upstream.url,
        ASYMROUTE_POSTGRES_URL=f"postgresql://app:{POSTGRES_PASSWORD}@127.0.0.1:9/db",
        ASYMROUTE_GATEWAY_KEYS=json.dumps({"alice": GATEWAY_KEY}),
        ASYMROUTE_FRONTIER_MAX_RETRIES=1,
        ASYMROUTE_RETRY_BASE_DELAY_S=0.01,
        ASYMROUTE_BREAKER_FAILURES=0,
    )


def context(**fields: Any) -> RouterContext:
    return RouterContext(
        local_model="ollama:m",
        frontier_model="openai:m",
        classifier="keywords",
        threshold=0.0,
        max_output_tokens=16,
        **fields,
    )


def leaks(haystack: str | bytes, where: str) -> list[str]:
    text = haystack.decode("utf-8", "replace") if isinstance(haystack, bytes) else haystack
    return [f"{where}: {canary[:12]}..." for canary in CANARIES if canary in text]


def test_keys_stay_out_of_state_checkpoints_logs_exceptions_and_traces(
    upstream: FaultyUpstream,
    traced: LangSmithCapture,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = secret_settings(upstream, tmp_path)
    found: list[str] = []
    database = tmp_path / "checkpoints.sqlite"

    with SqliteSaver.from_conn_string(str(database)) as saver:
        graph = build_router(settings, context())
        graph.checkpointer = saver
        # 1. The frontier rejects the key, quoting it back: the local tier answers.
        upstream.script("echo_auth")
        config = {"configurable": {"thread_id": "secrets-1"}}
        state = graph.invoke({"messages": [("user", "What is 2+3? (one)")]}, config)
        assert state["answered_by"] == "local" and "frontier_failed" in state["flags"]
        assert "401" in state["usage"][0]["error"]
        found += leaks(repr(state), "state") + leaks(
            json.dumps(result_json(state), default=str), "result"
        )
        # 2. A healthy frontier, checkpointed, then async (SqliteSaver is sync-only).
        config = {"configurable": {"thread_id": "secrets-2"}}
        state = graph.invoke({"messages": [("user", "What is 2+3? (two)")]}, config)
        assert state["answered_by"] == "frontier"
        found += leaks(repr(state), "state")
        unsaved = build_router(settings, context())
        state = asyncio.run(unsaved.ainvoke({"messages": [("user", "What is 2+3? (2b)")]}))
        assert state["answered_by"] == "frontier"
        found += leaks(repr(state), "state")
        # 3. Strict: the echoed key would be in the exception message and its traceback.
        upstream.script("echo_auth")
        strict = build_router(settings, context(strict=True))
        with pytest.raises(NoAnswerError) as raised:
            strict.invoke({"messages": [("user", "What is 2+3? (three)")]})
        found += leaks(str(raised.value) + repr(raised.value) + str(raised.getrepr()), "error")

    # The key really was sent: otherwise this test would prove nothing.
    sent = [c.headers.get("authorization", "") for c in upstream.calls if c.api == "openai"]
    assert sent and all(h == f"Bearer {OPENAI_KEY}" for h in sent)

    wait_for_all_tracers()
    runs = traced.wait_for(lambda r: sum(1 for x in r.values() if x.get("end_time")) >= 8)
    assert runs and traced.raw_bodies
    for body in traced.raw_bodies:
        found += leaks(body, "langsmith")
    found += leaks(caplog.text, "logs")
    found += leaks("\n".join(str(r.args) for r in caplog.records), "log args")
    for path in tmp_path.glob("checkpoints.sqlite*"):
        found += leaks(path.read_bytes(), path.name)
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT checkpoint, metadata FROM checkpoints").fetchall()
        writes = db.execute("SELECT value FROM writes").fetchall()
    assert rows, "nothing was checkpointed"
    for row in [*rows, *writes]:
        found += leaks(b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row), "db")
    assert found == []


def test_gateway_keys_stay_out_of_responses_logs_and_traces(
    upstream: FaultyUpstream,
    traced: LangSmithCapture,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    from asymroute.gateway.app import create_app

    caplog.set_level(logging.DEBUG)
    settings = secret_settings(upstream, tmp_path)
    app = create_app(settings, context())
    body = {"model": "asymroute", "messages": [{"role": "user", "content": "What is 2+3? (gw)"}]}

    async def exchange() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            good = await client.post(
                "/v1/chat/completions",
                json=body,
                headers={"Authorization": f"Bearer {GATEWAY_KEY}"},
            )
            upstream.script("echo_auth", "echo_auth")
            failed = await client.post(
                "/v1/chat/completions",
                json={**body, "stream": True},
                headers={"Authorization": f"Bearer {GATEWAY_KEY}"},
            )
            wrong = await client.post(
                "/v1/chat/completions",
                json=body,
                headers={"Authorization": f"Bearer {WRONG_GATEWAY_KEY}"},
            )
            return [good, failed, wrong]

    responses = asyncio.run(exchange())
    assert responses[0].status_code == 200 and responses[2].status_code == 401
    found: list[str] = []
    for response in responses:
        found += leaks(response.content, f"response {response.status_code}")
        found += leaks(str(dict(response.headers)), "response headers")
    wait_for_all_tracers()
    traced.wait_for(lambda r: any(x.get("end_time") for x in r.values()))
    for raw in traced.raw_bodies:
        found += leaks(raw, "langsmith")
    found += leaks(caplog.text, "logs")
    assert found == []


def test_privacy_categories_not_values_reach_the_trace(
    upstream: FaultyUpstream, traced: LangSmithCapture, tmp_path: Path
) -> None:
    graph = build_router(secret_settings(upstream, tmp_path), context())
    state = graph.invoke({"messages": [("user", "Refactor this; mail ann@example.com (priv)")]})

    assert state["decision"]["privacy"] == ["email"] and state["answered_by"] == "local"
    assert [c.api for c in upstream.calls] == ["ollama"]  # nothing went to the frontier
    wait_for_all_tracers()
    runs = traced.wait_for(
        lambda r: any(x.get("name") == "classify" and x.get("end_time") for x in r.values())
    )
    classify = next(r for r in runs.values() if r.get("name") == "classify")
    metadata = classify["extra"]["metadata"]
    assert metadata["privacy"] == ["email"] and metadata["tier"] == "local"
    assert "ann@example.com" not in json.dumps(metadata)
