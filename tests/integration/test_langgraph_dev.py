"""`langgraph dev` serves the `router` graph, as Studio users run it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.integration.conftest import FRONTIER_ALIAS, OLLAMA_MODEL
from tests.support.langgraph_dev import langgraph_dev_server


@pytest.fixture(scope="module")
def langgraph_dev(
    openai_server: str, ollama_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    env = {"OPENAI_BASE_URL": openai_server, "OLLAMA_BASE_URL": ollama_server}
    with langgraph_dev_server(env, tmp_path_factory.mktemp("langgraph-dev")) as url:
        yield url


def run_wait(url: str, prompt: str, context: dict[str, object]) -> dict:
    response = httpx.post(
        f"{url}/runs/wait",
        json={
            "assistant_id": "router",
            "input": {"messages": [{"role": "user", "content": prompt}]},
            "context": context,
        },
        timeout=180,
    )
    response.raise_for_status()
    return response.json()


def test_langgraph_dev_serves_router(langgraph_dev: str) -> None:
    assistants = httpx.post(f"{langgraph_dev}/assistants/search", json={}, timeout=30).json()
    assert "router" in {a["graph_id"] for a in assistants}

    context = {
        "local_model": f"ollama:{OLLAMA_MODEL}",
        "frontier_model": f"openai:{FRONTIER_ALIAS}",
        "max_output_tokens": 32,
    }
    simple = run_wait(langgraph_dev, "What is 2+3?", context)
    assert simple["decision"]["tier"] == "local"
    assert simple["answered_by"] == "local"
    assert "5" in simple["messages"][-1]["content"]

    # Threshold 0 forces the frontier route whatever the shipped classifier scores.
    complex_ = run_wait(
        langgraph_dev,
        "Analyze and debug this parser, then refactor it to be thread-safe.",
        {**context, "threshold": 0.0},
    )
    assert complex_["decision"]["tier"] == "frontier"
    assert complex_["answered_by"] == "frontier"
    assert complex_["usage"][0]["model"] == f"openai:{FRONTIER_ALIAS}"


def test_studio_sees_graph_branches_and_context_schema(langgraph_dev: str) -> None:
    assistant = httpx.post(
        f"{langgraph_dev}/assistants/search", json={"graph_id": "router"}, timeout=30
    ).json()[0]
    drawn = httpx.get(
        f"{langgraph_dev}/assistants/{assistant['assistant_id']}/graph", timeout=30
    ).json()
    edges = {(e["source"], e["target"], bool(e.get("conditional"))) for e in drawn["edges"]}
    assert ("classify", "local_model", True) in edges
    assert ("classify", "frontier_model", True) in edges
    assert ("validate", "frontier_model", True) in edges
    assert ("validate", "__end__", True) in edges

    schemas = httpx.get(
        f"{langgraph_dev}/assistants/{assistant['assistant_id']}/schemas", timeout=30
    ).json()
    assert "threshold" in schemas["context_schema"]["properties"]
    # The validation fields (ValidationPolicy's, inherited) stay top-level context keys: the
    # server drops context keys that are not properties of this schema.
    validation_keys = {"min_confidence", "validation_combine", "unmeasured_policy"}
    assert validation_keys <= set(schemas["context_schema"]["properties"])
    assert "decision" in schemas["state_schema"]["properties"]
