"""An Ollama model's tool capability is learned once from /api/show: a model without "tools"
is skipped for tool requests up front; an older Ollama, or a failed lookup, changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from asymroute.context import RouterContext
from asymroute.providers import calls_tools, ollama_capabilities, parse_model
from asymroute.providers.ollama_capabilities import alearn_capabilities, learn_capabilities
from asymroute.settings import Settings
from asymroute.tool_calls import LOCAL_CANNOT_CALL_TOOLS
from tests.support.fake_provider import FakeProvider
from tests.support.tool_models import QUESTION, WEATHER

OLLAMA = Settings(_env_file=None, OLLAMA_BASE_URL="http://127.0.0.1:9")  # type: ignore[call-arg]
MODEL = "smollm2:135m"
Answer = Callable[[httpx.Request], httpx.Response]


def show(capabilities: list[str] | None) -> Answer:
    """Ollama's /api/show; None: an Ollama that predates `capabilities`."""
    body: dict[str, Any] = {"modelfile": "FROM x", "details": {"family": "llama"}}
    if capabilities is not None:
        body["capabilities"] = capabilities

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/show":
            return httpx.Response(200, json=body)
        return httpx.Response(500, json={"error": "not in this test"})

    return answer


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Answer], list[httpx.Request]]]:
    """Answer every HTTP request of the test in process, and keep them."""
    monkeypatch.setattr(ollama_capabilities, "_capabilities", {})
    monkeypatch.setattr(ollama_capabilities, "_failed_at", {})
    client, async_client = httpx.Client, httpx.AsyncClient

    def serve(answer: Answer) -> list[httpx.Request]:
        seen: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return answer(request)

        transport = httpx.MockTransport(handler)
        monkeypatch.setattr(httpx, "Client", lambda **kw: client(**{**kw, "transport": transport}))
        monkeypatch.setattr(
            httpx, "AsyncClient", lambda **kw: async_client(**{**kw, "transport": transport})
        )
        return seen

    yield serve


def paths(requests: list[httpx.Request]) -> list[str]:
    return [request.url.path for request in requests]


def test_capabilities_are_asked_once_and_kept(server: Any) -> None:
    seen = server(show(["completion"]))
    learn_capabilities(MODEL, OLLAMA)
    asyncio.run(alearn_capabilities(MODEL, OLLAMA))
    assert paths(seen) == ["/api/show"]
    assert seen[0].read() == b'{"model":"smollm2:135m"}'
    assert not calls_tools(parse_model(f"ollama:{MODEL}"), OLLAMA)
    assert calls_tools(parse_model("ollama:other"), OLLAMA)  # not asked: unknown


def test_a_model_with_tools_can_be_sent_them(server: Any) -> None:
    server(show(["completion", "tools", "vision"]))
    asyncio.run(alearn_capabilities(MODEL, OLLAMA))
    assert calls_tools(parse_model(f"ollama:{MODEL}"), OLLAMA)


def test_an_older_ollama_without_capabilities_keeps_todays_behaviour(server: Any) -> None:
    seen = server(show(None))
    learn_capabilities(MODEL, OLLAMA)
    learn_capabilities(MODEL, OLLAMA)  # not asked again at once
    assert paths(seen) == ["/api/show"]
    assert calls_tools(parse_model(f"ollama:{MODEL}"), OLLAMA)


def test_a_failed_lookup_is_retried_only_after_a_while(
    server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = server(lambda request: httpx.Response(404, json={"error": "model not found"}))
    asyncio.run(alearn_capabilities(MODEL, OLLAMA))
    asyncio.run(alearn_capabilities(MODEL, OLLAMA))
    assert len(seen) == 1 and calls_tools(parse_model(f"ollama:{MODEL}"), OLLAMA)
    later = ollama_capabilities.time.monotonic() + ollama_capabilities.RETRY_AFTER_S
    monkeypatch.setattr(ollama_capabilities.time, "monotonic", lambda: later)
    asyncio.run(alearn_capabilities(MODEL, OLLAMA))
    assert len(seen) == 2


def route(tools: bool, run: str) -> dict[str, Any]:
    from asymroute.graphs.router import build_router

    defaults = RouterContext(
        local_model=f"ollama:{MODEL}",
        frontier_model="fake:frontier",
        classifier="heuristic",
        tools=[WEATHER] if tools else [],
    )
    graph = build_router(settings=OLLAMA, defaults=defaults)
    request = {"messages": [("user", QUESTION)]}
    if run == "ainvoke":
        result: dict[str, Any] = asyncio.run(graph.ainvoke(request))
        return result
    return graph.invoke(request)  # type: ignore[no-any-return]


@pytest.mark.parametrize("run", ["invoke", "ainvoke"])
def test_a_model_without_tools_is_skipped_up_front(
    server: Any, fake_provider: FakeProvider, run: str
) -> None:
    seen = server(show(["completion"]))
    state = route(tools=True, run=run)
    assert paths(seen) == ["/api/show"]  # the local model was never sent the request
    assert state["decision"]["diverted_to"] == "frontier"
    assert LOCAL_CANNOT_CALL_TOOLS in state["flags"]
    assert (state["answered_by"], state["escalated"]) == ("frontier", False)
    assert fake_provider.seen[0][0] == "frontier"


def test_a_model_with_tools_is_sent_the_request(server: Any, fake_provider: FakeProvider) -> None:
    seen = server(show(["completion", "tools"]))
    state = route(tools=True, run="ainvoke")
    assert paths(seen)[:2] == ["/api/show", "/api/chat"]
    assert LOCAL_CANNOT_CALL_TOOLS not in state["flags"]


def test_a_request_without_tools_asks_nothing(server: Any, fake_provider: FakeProvider) -> None:
    seen = server(show(["completion"]))
    route(tools=False, run="ainvoke")
    assert "/api/show" not in paths(seen)


def test_with_no_frontier_the_model_is_asked_without_the_tools(server: Any) -> None:
    """It would refuse them (400): the request is answered locally without its tools, flagged."""
    from asymroute.graphs.router import build_router

    capabilities = show(["completion"])
    done = {"model": MODEL, "message": {"role": "assistant", "content": "Sunny."}, "done": True}

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/chat":
            return httpx.Response(200, json=done)  # one NDJSON line
        return capabilities(request)

    seen = server(answer)
    defaults = RouterContext(
        local_model=f"ollama:{MODEL}",
        frontier_model="openai:gpt-4o-mini",  # no OPENAI_API_KEY: not configured
        classifier="heuristic",
        tools=[WEATHER],
    )
    state = build_router(settings=OLLAMA, defaults=defaults).invoke(
        {"messages": [("user", QUESTION)]}
    )
    chat = [request for request in seen if request.url.path == "/api/chat"]
    # ChatOllama always sends a "tools" list; Ollama refuses only a non-empty one.
    assert chat and all(b"get_weather" not in request.read() for request in chat)
    assert LOCAL_CANNOT_CALL_TOOLS in state["flags"]
    assert state["answered_by"] == "local"


def test_a_deployment_with_its_own_server_is_asked_there(
    server: Any, fake_provider: FakeProvider, tmp_path: Any
) -> None:
    """Two Ollama servers: the model list's local deployment at :8 has no tools; the one at
    OLLAMA_BASE_URL (:9) has them. Each is asked at its own address, and kept apart."""
    from asymroute.graphs.router import build_router

    def answer(request: httpx.Request) -> httpx.Response:
        tools = ["completion"] if request.url.port == 8 else ["completion", "tools"]
        return show(tools)(request)

    seen = server(answer)
    own = "http://127.0.0.1:8"
    learn_capabilities(MODEL, OLLAMA)
    asyncio.run(alearn_capabilities(MODEL, OLLAMA, base_url=own))
    assert [request.url.port for request in seen] == [9, 8]
    assert ollama_capabilities.calls_tools(MODEL, OLLAMA)
    assert not ollama_capabilities.calls_tools(MODEL, OLLAMA, base_url=own)
    assert not calls_tools(parse_model(f"ollama:{MODEL}"), OLLAMA, own)

    ollama_capabilities._capabilities.clear()
    path = tmp_path / "models.yaml"
    path.write_text(
        f"deployments:\n  - {{id: edge, provider: ollama, model: '{MODEL}', base_url: '{own}'}}\n"
        "tiers: {local: [edge]}\n"
    )
    settings = OLLAMA.model_copy(update={"model_list_path": path})
    defaults = RouterContext(frontier_model="fake:frontier", tools=[WEATHER])
    state = build_router(settings=settings, defaults=defaults).invoke(
        {"messages": [("user", QUESTION)]}
    )
    assert [(r.url.port, r.url.path) for r in seen[2:]] == [(8, "/api/show")]
    assert LOCAL_CANNOT_CALL_TOOLS in state["flags"] and state["answered_by"] == "frontier"
