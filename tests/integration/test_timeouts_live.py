"""An endpoint that accepts connections and never answers must not hang a request."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from asymroute.context import RouterContext
from asymroute.graphs.router import build_router
from tests.integration.conftest import FRONTIER_ALIAS, OLLAMA_MODEL, live_settings

READ_TIMEOUT_S = 1.0


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """Completes the TCP handshake (the kernel does it from the backlog) and says nothing."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_hanging_local_endpoint_times_out_and_escalates(
    openai_server: str, silent_endpoint: str
) -> None:
    settings = live_settings(openai_server, silent_endpoint, local_timeout_s=READ_TIMEOUT_S)
    graph = build_router(
        settings,
        RouterContext(
            local_model=f"ollama:{OLLAMA_MODEL}",
            frontier_model=f"openai:{FRONTIER_ALIAS}",
            max_output_tokens=16,
        ),
    )
    started = time.monotonic()
    result = graph.invoke({"messages": [("user", "What is 2+3?")]})
    local_usage = result["usage"][0]

    assert "Timeout" in local_usage["error"]
    assert READ_TIMEOUT_S <= local_usage["latency_s"] < READ_TIMEOUT_S + 2
    assert result["escalated"] and result["answered_by"] == "frontier"
    assert time.monotonic() - started < 60


def test_hanging_frontier_times_out_to_the_local_answer(
    ollama_server: str, silent_endpoint: str
) -> None:
    settings = live_settings(
        f"{silent_endpoint}/v1",
        ollama_server,
        frontier_timeout_s=READ_TIMEOUT_S,
        frontier_max_retries=0,
    )
    graph = build_router(
        settings,
        RouterContext(
            local_model=f"ollama:{OLLAMA_MODEL}",
            frontier_model=f"openai:{FRONTIER_ALIAS}",
            threshold=0.0,
            max_output_tokens=16,
        ),
    )
    result = graph.invoke({"messages": [("user", "What is 2+3?")]})

    frontier_usage, local_usage = result["usage"]
    assert frontier_usage["tier"] == "frontier" and "Timeout" in frontier_usage["error"]
    assert frontier_usage["latency_s"] < READ_TIMEOUT_S + 2
    assert local_usage["tier"] == "local" and local_usage["error"] is None
    assert result["answered_by"] == "local" and "frontier_failed" in result["flags"]


def test_embedded_llamacpp_generation_stops_at_its_timeout_and_escalates(
    openai_server: str, ollama_server: str
) -> None:
    """In-process inference has no socket to time out: the deadline stops generation itself."""
    timeout_s = 0.1
    settings = live_settings(openai_server, ollama_server, local_timeout_s=timeout_s)
    graph = build_router(
        settings,
        RouterContext(
            local_model="llamacpp:smollm2",
            frontier_model=f"openai:{FRONTIER_ALIAS}",
            threshold=1.0,
            max_output_tokens=400,
        ),
    )
    prompt = "Write a very long story about a dragon, with many chapters."
    started = time.monotonic()
    result = graph.invoke({"messages": [("user", prompt)]})
    elapsed = time.monotonic() - started

    local = [record for record in result["usage"] if record["tier"] == "local"]
    assert local and all("TimeoutError" in (record["error"] or "") for record in local), local
    assert result["escalated"] is True and result["answered_by"] == "frontier"
    assert result["local_answer"] is None
    # Bounded by the local deadline per attempt plus one short frontier answer, not 400 tokens.
    assert elapsed < 60, elapsed
