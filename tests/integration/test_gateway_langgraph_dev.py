"""`langgraph dev` serves the gateway next to the LangGraph API, through langgraph.json."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.integration.conftest import FRONTIER_ALIAS, OLLAMA_MODEL
from tests.support.gateway import KEY, gateway_env
from tests.support.langgraph_dev import langgraph_dev_server


@pytest.fixture(scope="module")
def langgraph_dev_gateway(
    openai_server: str, ollama_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("langgraph-dev-gateway")
    env = gateway_env(
        openai_server,
        ollama_server,
        f"ollama:{OLLAMA_MODEL}",
        f"openai:{FRONTIER_ALIAS}",
        directory / "spend.sqlite",
    )
    with langgraph_dev_server(env, directory) as url:
        yield url


def test_langgraph_dev_serves_the_gateway_beside_its_api(langgraph_dev_gateway: str) -> None:
    gateway = openai.OpenAI(
        base_url=f"{langgraph_dev_gateway}/v1", api_key=KEY, max_retries=0, timeout=180
    )
    raw = gateway.chat.completions.with_raw_response.create(
        model="asymroute", messages=[{"role": "user", "content": "What is 2+3?"}]
    )

    assert raw.parse().model == f"ollama:{OLLAMA_MODEL}"
    assert raw.headers["x-asymroute-tier"] == "local"
    # The LangGraph API is still served by the same server.
    assistants = httpx.post(f"{langgraph_dev_gateway}/assistants/search", json={}, timeout=30)
    assert "router" in {a["graph_id"] for a in assistants.json()}
    # So are the gateway's health endpoints, for the deployment's probes.
    ready = httpx.get(f"{langgraph_dev_gateway}/health/readiness", timeout=30)
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
