"""`langgraph dev` exactly as README says, on the defaults: no context overrides, the embedded
llama.cpp local tier, and the server's blocking-call detector on (no `--allow-blocking`).

Only the frontier's endpoint is set (an environment setting, as a user sets OPENAI_BASE_URL),
so that the frontier route has somewhere to go.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.langgraph_dev import langgraph_dev_server

SIMPLE = "What is 2+3?"
COMPLEX = (
    "Design a distributed rate limiter for a multi-region API gateway: compare token bucket "
    "and sliding window algorithms, explain consistency trade-offs, and write a Python "
    "implementation with Redis."
)
EMBEDDED = "llamacpp:smollm2"


@pytest.fixture(scope="module")
def dev_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("langgraph-dev-defaults")


@pytest.fixture(scope="module")
def dev_server(openai_server: str, dev_logs: Path) -> Iterator[str]:
    with langgraph_dev_server({"OPENAI_BASE_URL": openai_server}, dev_logs) as url:
        yield url


def wait(url: str, assistant: str, payload: dict, thread: str | None = None) -> dict:
    path = f"/threads/{thread}/runs/wait" if thread else "/runs/wait"
    response = httpx.post(
        f"{url}{path}", json={"assistant_id": assistant, "input": payload}, timeout=300
    )
    response.raise_for_status()
    state = response.json()
    assert "__error__" not in state, state  # a failed run still answers 200
    return dict(state)


def user(text: str) -> dict:
    return {"messages": [{"role": "user", "content": text}]}


def test_router_answers_on_the_embedded_model_and_routes_complex_work_out(
    dev_server: str,
) -> None:
    simple = wait(dev_server, "router", user(SIMPLE))
    assert (simple["decision"]["tier"], simple["answered_by"]) == ("local", "local")
    assert simple["usage"][0]["model"] == EMBEDDED and simple["usage"][0]["error"] is None
    assert "5" in simple["messages"][-1]["content"]

    complex_ = wait(dev_server, "router", user(COMPLEX))
    assert complex_["decision"]["tier"] == "frontier"
    assert complex_["answered_by"] == "frontier"
    # The default frontier name (gpt-4o-mini) is not what the server serves: the answer says
    # which model gave it, and that its price is unknown (no ASYMROUTE_PRICES for it).
    assert complex_["answer_model"] == "openai:smollm2"
    assert complex_["flags"] == ["price_unknown"]


def test_chat_keeps_two_turns_on_one_thread(dev_server: str) -> None:
    thread = httpx.post(f"{dev_server}/threads", json={}, timeout=30).json()["thread_id"]
    wait(dev_server, "chat", user(SIMPLE), thread)
    second = wait(dev_server, "chat", user("and why?"), thread)

    assert len(second["messages"]) == 4
    assert [turn["turn"] for turn in second["turns"]] == [1, 2]
    assert all(turn["model"] == EMBEDDED for turn in second["turns"])


def test_workflow_routes_each_step(dev_server: str) -> None:
    state = wait(dev_server, "workflow", {"task": "Two steps.", "steps": [SIMPLE, COMPLEX]})

    assert [(r["index"], r["tier"]) for r in state["step_results"]] == [
        (1, "local"),
        (2, "frontier"),
    ]
    assert state["totals"]["calls"]["local"] >= 1


def completion(url: str, **body: object) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/chat/completions", json={"model": "asymroute", **body}, timeout=300
    )


def test_mounted_gateway_answers_plain_and_streamed_on_the_embedded_model(
    dev_server: str,
) -> None:
    plain = completion(dev_server, messages=[{"role": "user", "content": SIMPLE}])
    assert plain.status_code == 200, plain.text
    assert plain.headers["x-asymroute-tier"] == "local"
    assert plain.json()["model"] == EMBEDDED

    with httpx.stream(
        "POST",
        f"{dev_server}/v1/chat/completions",
        json={"model": "asymroute", "stream": True, "messages": [user(SIMPLE)["messages"][0]]},
        timeout=300,
    ) as streamed:
        assert streamed.status_code == 200
        events = [line[6:] for line in streamed.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert "5" in text and chunks[-1]["asymroute"]["tier"] == "local"


def test_queued_local_generations_delay_neither_health_checks_nor_the_frontier(
    dev_server: str,
) -> None:
    """Four local generations queue behind the one embedded model; a liveness probe and a
    frontier-routed request sent after them finish before the queue has drained."""
    # Long answers under the client's own cap: never escalated, so the frontier stays free.
    local = {"role": "user", "content": "Write a long story about a dragon and a knight."}
    finished: list[str] = []

    async def send(client: httpx.AsyncClient, label: str, method: str, path: str, **kw) -> None:
        response = await client.request(method, f"{dev_server}{path}", timeout=300, **kw)
        assert response.status_code == 200, response.text
        finished.append(label)

    async def scenario() -> None:
        async with httpx.AsyncClient() as client:
            body = {"model": "router-1", "messages": [local], "max_tokens": 400}
            queue = [
                asyncio.create_task(send(client, f"local{i}", "POST", "/v1/chat/completions",
                                         json=body))
                for i in range(4)
            ]  # fmt: skip
            await asyncio.sleep(0.5)  # the four are in (the first generating, three queued)
            frontier_body = {"model": "router-0", "messages": [local], "max_tokens": 8}
            await asyncio.gather(
                send(client, "health", "GET", "/health/liveness"),
                send(client, "frontier", "POST", "/v1/chat/completions", json=frontier_body),
            )
            await asyncio.gather(*queue)

    asyncio.run(scenario())
    drained = max(finished.index(f"local{i}") for i in range(4))
    assert finished.index("health") < drained and finished.index("frontier") < drained, finished


def test_studio_style_streams_of_every_graph_end_cleanly(dev_server: str) -> None:
    """What Studio asks for: several stream modes with subgraphs, through `langgraph_sdk`."""
    from langgraph_sdk import get_client

    inputs = {
        "router": user(SIMPLE),
        "chat": user("Hi there"),
        "workflow": {"task": "Two steps.", "steps": [SIMPLE, "Name a fruit."]},
    }

    async def stream_all() -> dict[str, tuple[set[str], list[str]]]:
        client = get_client(url=dev_server)
        seen: dict[str, tuple[set[str], list[str]]] = {}
        for graph, payload in inputs.items():
            thread = (await client.threads.create())["thread_id"]
            events = set()
            async for part in client.runs.stream(
                thread,
                graph,
                input=payload,
                stream_mode=["values", "messages-tuple", "updates", "debug", "custom"],
                stream_subgraphs=True,
            ):
                events.add(part.event.split("|")[0])
            state = await client.threads.get_state(thread)
            seen[graph] = (events, list(state["next"]))
        return seen

    for graph, (events, pending) in asyncio.run(stream_all()).items():
        assert "error" not in events and {"values", "updates", "messages"} <= events, graph
        assert pending == [], graph


def test_the_embedding_router_loads_its_encoder_off_the_event_loop(dev_server: str) -> None:
    """The one context override here: the opt-in `embedding` classifier reads its ONNX weights
    when the run is planned, which must not happen on the server's event loop."""
    response = httpx.post(
        f"{dev_server}/runs/wait",
        json={
            "assistant_id": "router",
            "input": user("Hi"),
            "context": {"classifier": "embedding"},
        },
        timeout=300,
    )
    state = response.json()
    assert "__error__" not in state, state
    assert state["decision"]["classifier"] == "embedding" and state["decision"]["tier"] == "local"
    assert any("nearest labelled prompts" in reason for reason in state["decision"]["reasons"])


def test_the_server_reported_no_blocking_call(dev_server: str, dev_logs: Path) -> None:
    """Last in this module: every run above went through the server's blocking detector."""
    log = (dev_logs / "server.log").read_text(errors="replace")
    assert "Blocking call" not in log and "BlockingError" not in log
