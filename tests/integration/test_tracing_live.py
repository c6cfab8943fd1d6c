"""Routing facts reach LangSmith: a real CLI process (or gateway) traces to a capture server on
loopback."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx

from bench.support.processes import free_port, running_server
from tests.integration.conftest import FRONTIER_ALIAS, OLLAMA_MODEL
from tests.integration.test_cli_live import run_cli
from tests.support.langsmith_capture import LangSmithCapture

ROUTING_KEYS = {"tier", "model", "score", "reasons", "escalated", "cost_usd"}


def traced_env(capture: LangSmithCapture, **endpoints: str) -> dict[str, str]:
    return {
        "LANGSMITH_TRACING": "true",
        "LANGSMITH_ENDPOINT": capture.url,
        "LANGSMITH_API_KEY": "ls-test-key",
        "LANGSMITH_PROJECT": "asymroute-tests",
        "LANGSMITH_DISABLE_RUN_COMPRESSION": "true",
        **endpoints,
    }


def node_runs(capture: LangSmithCapture, trace_prompt: str) -> dict[str, dict[str, Any]]:
    """The node runs of the one trace whose root saw `trace_prompt`."""
    runs = capture.runs()
    roots = [
        r
        for r in runs.values()
        if not r.get("parent_run_id") and trace_prompt in str(r.get("inputs"))
    ]
    assert len(roots) == 1, [r.get("name") for r in runs.values()]
    trace_id = roots[0]["trace_id"]
    nodes = ("classify", "local_model", "validate", "frontier_model")
    return {
        r["name"]: r for r in runs.values() if r.get("trace_id") == trace_id and r["name"] in nodes
    }


def test_local_route_is_traced_with_tier_model_score_and_cost(
    langsmith_capture: LangSmithCapture, ollama_server: str, tmp_path: Path
) -> None:
    prompt = "What is 2+3? (trace local)"
    done = run_cli(
        "ask", prompt, "--local-model", f"ollama:{OLLAMA_MODEL}", "--max-tokens", "16",
        env=traced_env(langsmith_capture, OLLAMA_BASE_URL=ollama_server), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    runs = node_runs(langsmith_capture, prompt)
    assert set(runs) == {"classify", "local_model", "validate"}
    for name, run in runs.items():
        assert set(run["extra"]["metadata"]) >= ROUTING_KEYS, name
    local = runs["local_model"]
    metadata = local["extra"]["metadata"]
    assert set(metadata) >= ROUTING_KEYS
    assert metadata["tier"] == "local" and metadata["model"] == f"ollama:{OLLAMA_MODEL}"
    assert metadata["escalated"] is False and metadata["cost_usd"] == 0.0
    assert 0.0 <= metadata["score"] < 0.5 and metadata["reasons"]
    assert "tier:local" in local["tags"] and f"model:ollama:{OLLAMA_MODEL}" in local["tags"]
    assert runs["classify"]["extra"]["metadata"]["classifier"] == "embedding"
    assert "escalated" not in runs["validate"]["tags"]


def test_escalation_is_traced_with_reason(
    langsmith_capture: LangSmithCapture, openai_server: str, stopped_ollama_url: str, tmp_path: Path
) -> None:
    prompt = "What is 2+3? (trace two)"  # routed local, then escalated: the local server is down
    done = run_cli(
        "ask", prompt, "--local-model", f"ollama:{OLLAMA_MODEL}",
        "--frontier-model", f"openai:{FRONTIER_ALIAS}", "--max-tokens", "16",
        env=traced_env(
            langsmith_capture, OLLAMA_BASE_URL=stopped_ollama_url, OPENAI_BASE_URL=openai_server
        ),
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    runs = node_runs(langsmith_capture, prompt)
    assert set(runs) == {"classify", "local_model", "validate", "frontier_model"}
    for name, run in runs.items():
        assert set(run["extra"]["metadata"]) >= ROUTING_KEYS, name
    validate = runs["validate"]
    assert validate["extra"]["metadata"]["escalated"] is True
    assert "local call failed" in validate["extra"]["metadata"]["escalation_reason"]
    assert {"escalated", "tier:frontier"} <= set(validate["tags"])
    frontier = runs["frontier_model"]["extra"]["metadata"]
    assert set(frontier) >= ROUTING_KEYS
    assert frontier["tier"] == "frontier" and frontier["model"] == f"openai:{FRONTIER_ALIAS}"
    assert frontier["escalated"] is True
    assert runs["local_model"]["extra"]["metadata"]["error"]


def test_a_gateway_response_leads_to_its_trace(
    langsmith_capture: LangSmithCapture, ollama_server: str, tmp_path: Path
) -> None:
    port = free_port()
    env = traced_env(
        langsmith_capture,
        OLLAMA_BASE_URL=ollama_server,
        ASYMROUTE_GATEWAY_KEYS=json.dumps({"team-a": "sk-trace-tests"}),
        ASYMROUTE_GATEWAY_CONTEXT=json.dumps(
            {"local_model": f"ollama:{OLLAMA_MODEL}", "max_output_tokens": 16}
        ),
    )
    command = [sys.executable, "-m", "asymroute.cli", "serve", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with running_server(command, f"{url}/health/liveness", tmp_path / "gateway.log", env=env):
        reply = httpx.post(
            f"{url}/v1/chat/completions",
            headers={"authorization": "Bearer sk-trace-tests"},
            json={"model": "asymroute", "messages": [{"role": "user", "content": "What is 2+3?"}]},
            timeout=120,
        )
    assert reply.status_code == 200
    run_id = reply.headers["x-asymroute-run-id"]

    runs = langsmith_capture.wait_for(lambda runs: runs.get(run_id, {}).get("end_time"))
    root = runs[run_id]
    assert root["name"] == "asymroute gateway" and not root.get("parent_run_id")
    metadata = root["extra"]["metadata"]
    assert metadata["completion_id"] == reply.json()["id"]
    assert metadata["gateway_key"] == "team-a" and metadata["gateway_model"] == "asymroute"
    nodes = {r["name"] for r in runs.values() if r.get("trace_id") == root["trace_id"]}
    assert {"classify", "local_model", "validate"} <= nodes
