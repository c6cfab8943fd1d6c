"""`langgraph dev` serves the chat and workflow graphs; a thread keeps a chat's history."""

from __future__ import annotations

import httpx

from tests.integration.conftest import FRONTIER_ALIAS, OLLAMA_MODEL
from tests.integration.test_langgraph_dev import langgraph_dev  # noqa: F401  (the fixture)

COMPLEX = "Analyze and debug this parser, then refactor it to be thread-safe."
CONTEXT = {
    "local_model": f"ollama:{OLLAMA_MODEL}",
    "frontier_model": f"openai:{FRONTIER_ALIAS}",
    "max_output_tokens": 24,
    "classifier": "heuristic",
    "validate": False,
}


def wait_on_thread(url: str, thread_id: str, assistant: str, payload: dict) -> dict:
    response = httpx.post(
        f"{url}/threads/{thread_id}/runs/wait",
        json={"assistant_id": assistant, "input": payload, "context": CONTEXT},
        timeout=240,
    )
    response.raise_for_status()
    return response.json()


def new_thread(url: str) -> str:
    return str(httpx.post(f"{url}/threads", json={}, timeout=30).json()["thread_id"])


def test_chat_second_turn_on_a_thread_sees_the_first(langgraph_dev: str) -> None:  # noqa: F811
    thread = new_thread(langgraph_dev)
    first = wait_on_thread(langgraph_dev, thread, "chat", {"messages": [("user", COMPLEX)]})
    second = wait_on_thread(langgraph_dev, thread, "chat", {"messages": [("user", "and why?")]})

    assert first["turns"][0]["tier"] == "frontier"
    assert [m["content"] for m in second["messages"] if m["type"] == "human"] == [
        COMPLEX,
        "and why?",
    ]
    assert len(second["messages"]) == 4
    turn = second["turns"][-1]
    assert turn["turn"] == 2 and turn["routed"] == "frontier"  # routed with the first in view
    assert second["totals"]["calls"] == {"local": 0, "frontier": 2}


def test_workflow_runs_on_the_server(langgraph_dev: str) -> None:  # noqa: F811
    thread = new_thread(langgraph_dev)
    state = wait_on_thread(
        langgraph_dev,
        thread,
        "workflow",
        {"task": "Check a sum.", "steps": ["What is 2+3?", COMPLEX]},
    )

    assert [(r["index"], r["tier"]) for r in state["step_results"]] == [
        (1, "local"),
        (2, "frontier"),
    ]
    assert state["totals"]["calls"]["frontier"] == 1
    assert state["thread_cost_usd"] == state["totals"]["cost_usd"]
    graphs = {
        a["graph_id"] for a in httpx.post(f"{langgraph_dev}/assistants/search", json={}).json()
    }
    assert {"router", "workflow", "chat"} <= graphs


def cut_off_turn(url: str, question: str) -> str:
    """A thread as a server killed mid-turn leaves it: the question saved, `chat_turn` to run."""
    created = httpx.post(f"{url}/threads", json={"metadata": {"graph_id": "chat"}}, timeout=30)
    thread = str(created.json()["thread_id"])
    values = {"messages": [{"role": "user", "content": question}]}
    response = httpx.post(
        f"{url}/threads/{thread}/state", json={"values": values, "as_node": "__start__"}, timeout=30
    )
    assert response.status_code == 200, response.text
    return thread


def thread_state(url: str, thread: str) -> dict:
    return dict(httpx.get(f"{url}/threads/{thread}/state", timeout=30).json())


def test_a_cut_off_chat_turn_is_resumed_or_withdrawn_the_documented_way(
    langgraph_dev: str,  # noqa: F811
) -> None:
    resumed = cut_off_turn(langgraph_dev, COMPLEX)
    assert thread_state(langgraph_dev, resumed)["next"] == ["chat_turn"]
    state = wait_on_thread(langgraph_dev, resumed, "chat", None)  # resume: run with no input
    assert [m["type"] for m in state["messages"]] == ["human", "ai"]
    assert thread_state(langgraph_dev, resumed)["next"] == []

    withdrawn = cut_off_turn(langgraph_dev, COMPLEX)
    question = thread_state(langgraph_dev, withdrawn)["values"]["messages"][-1]
    remove = {"type": "remove", "id": question["id"], "content": ""}
    httpx.post(
        f"{langgraph_dev}/threads/{withdrawn}/state",
        json={"values": {"messages": [remove]}, "as_node": "chat_turn"},
        timeout=30,
    ).raise_for_status()
    after = thread_state(langgraph_dev, withdrawn)
    assert after["next"] == [] and after["values"]["messages"] == []
    state = wait_on_thread(langgraph_dev, withdrawn, "chat", {"messages": [("user", "Hi!")]})
    assert [m["content"] for m in state["messages"] if m["type"] == "human"] == ["Hi!"]
