"""A model list on `asymroute serve`, driven by the official `openai` SDK.

The frontier tier is two OpenAI-compatible deployments on loopback, each with its own endpoint
and key: the first a faulty upstream answering 500 (bench/support/faulty_upstream.py), the
second the upstream stub. The local tier is the default (embedded llama.cpp). No
OPENAI_BASE_URL or OPENAI_API_KEY is set: the frontier exists only through the list.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from bench.support.faulty_upstream import FaultyUpstream
from bench.support.processes import free_port, running_server
from tests.support.langgraph_dev import langgraph_dev_server

BROKEN_KEY, HEALTHY_KEY = "sk-deploy-broken-1", "sk-deploy-healthy-2"
COMPLEX = "Analyze and debug this parser, then refactor it to be thread-safe."


def model_list(broken_url: str, healthy_url: str) -> str:
    return f"""
deployments:
  - id: broken
    provider: openai
    model: stub-frontier
    base_url: {broken_url}
    api_key_env: DEPLOY_BROKEN_KEY
  - id: healthy
    provider: openai
    model: stub-frontier
    base_url: {healthy_url}/v1
    api_key_env: DEPLOY_HEALTHY_KEY
    price: {{input_per_million: 1.0, output_per_million: 2.0}}
tiers:
  frontier: [broken, healthy]
"""


def serve(port: int) -> list[str]:
    return [sys.executable, "-m", "asymroute.cli", "serve", "--port", str(port)]


@pytest.fixture(scope="module")
def broken() -> Iterator[FaultyUpstream]:
    with FaultyUpstream(default="server_error") as upstream:
        yield upstream


def gateway_env(list_path: Path, tmp_path: Path) -> dict[str, str]:
    return {
        "ASYMROUTE_MODEL_LIST": str(list_path),
        "DEPLOY_BROKEN_KEY": BROKEN_KEY,
        "DEPLOY_HEALTHY_KEY": HEALTHY_KEY,
        "ASYMROUTE_GATEWAY_SPEND_PATH": str(tmp_path / "spend.sqlite"),
        # Every request to the frontier, so the test does not depend on the classifier.
        "ASYMROUTE_GATEWAY_CONTEXT": json.dumps({"threshold": 0.0}),
        "ASYMROUTE_FRONTIER_MAX_RETRIES": "1",
        "ASYMROUTE_RETRY_BASE_DELAY_S": "0.05",
        "ASYMROUTE_BREAKER_FAILURES": "2",
        "LANGSMITH_TRACING": "false",
    }


def test_the_second_deployment_answers_when_the_first_fails_then_the_first_cools_down(
    broken: FaultyUpstream, stub_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "models.yaml"
    path.write_text(model_list(broken.openai_url, stub_url))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
    env = gateway_env(path, tmp_path)
    with running_server(serve(port), f"{url}/health/liveness", tmp_path / "gw.log", env=env):
        first = client.chat.completions.with_raw_response.create(
            model="asymroute", messages=[{"role": "user", "content": COMPLEX}], max_tokens=16
        )
        calls_after_first = len(broken.calls)
        second = client.chat.completions.with_raw_response.create(
            model="asymroute", messages=[{"role": "user", "content": COMPLEX}], max_tokens=16
        )
        chunks = list(
            client.chat.completions.create(
                model="asymroute",
                messages=[{"role": "user", "content": COMPLEX}],
                max_tokens=16,
                stream=True,
            )
        )
        metrics = httpx.get(f"{url}/metrics").text

    answer = first.parse()
    assert answer.choices[0].message.content == "The answer is 5."  # the stub's answer
    assert first.headers["x-asymroute-tier"] == "frontier"
    assert first.headers["x-asymroute-deployment"] == "healthy"
    assert first.headers["x-asymroute-fallback-from"] == "broken"
    # The broken deployment was sent its own key, twice (one retry), before the fallback.
    assert calls_after_first == 2
    assert all(c.headers.get("authorization") == f"Bearer {BROKEN_KEY}" for c in broken.calls)
    (usage,) = answer.model_extra["asymroute"]["usage"]  # type: ignore[index]
    assert (usage["deployment"], usage["fallback_from"], usage["attempts"]) == (
        "healthy", ["broken"], 3,
    )  # fmt: skip
    assert usage["cost_usd"] == pytest.approx((20 * 1.0 + 6 * 2.0) / 1e6)  # its own price
    # Two failures opened the broken deployment's breaker: the next request skips it.
    assert len(broken.calls) == calls_after_first
    assert second.headers["x-asymroute-deployment"] == "healthy"
    assert second.headers["x-asymroute-skipped"] == "broken=cooling_down"
    # A stream's last chunk names the deployment too (its headers left before the call ended).
    (streamed,) = chunks[-1].model_extra["asymroute"]["usage"]  # type: ignore[index]
    assert (streamed["deployment"], streamed["skipped"]) == ("healthy", {"broken": "cooling_down"})
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "The answer is 5."
    assert series(metrics, "asymroute_deployment_fallbacks_total", 'deployment="broken"') == [1.0]
    assert series(metrics, "asymroute_chat_requests_total", 'deployment="healthy"') == [3.0]


def test_a_deployment_whose_context_window_is_too_small_is_skipped(
    broken: FaultyUpstream, stub_url: str, tmp_path: Path
) -> None:
    """`small` (at the faulty upstream, which would fail any call) states a 64-token window:
    a request asking for up to 16 tokens out fits it; one asking for 128 does not, and goes
    straight to the next deployment, never to `small`."""
    text = model_list(broken.openai_url, stub_url).replace("  - id: broken", "  - id: small")
    text = text.replace("frontier: [broken, healthy]", "frontier: [small, healthy]")
    path = tmp_path / "models.yaml"
    path.write_text(
        text.replace("DEPLOY_BROKEN_KEY\n", "DEPLOY_BROKEN_KEY\n    context_window: 64\n")
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
    env = {**gateway_env(path, tmp_path), "ASYMROUTE_FRONTIER_MAX_RETRIES": "0"}
    calls_before = len(broken.calls)
    with running_server(serve(port), f"{url}/health/liveness", tmp_path / "gw.log", env=env):
        long = client.chat.completions.with_raw_response.create(
            model="asymroute", messages=[{"role": "user", "content": COMPLEX}], max_tokens=128
        )
        assert len(broken.calls) == calls_before  # `small` was never called
        short = client.chat.completions.with_raw_response.create(
            model="asymroute", messages=[{"role": "user", "content": COMPLEX}], max_tokens=16
        )
    assert long.headers["x-asymroute-deployment"] == "healthy"
    assert long.headers["x-asymroute-skipped"] == "small=context_window_too_small"
    assert "x-asymroute-fallback-from" not in long.headers
    assert long.parse().choices[0].message.content == "The answer is 5."
    # The short one fits `small`, which is tried first and fails: a fallback, not a skip.
    assert len(broken.calls) == calls_before + 1
    assert short.headers["x-asymroute-fallback-from"] == "small"


def series(metrics: str, name: str, label: str) -> list[float]:
    """The values of `name`'s series that carry `label` (Prometheus text format)."""
    return [
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith(name + "{") and label in line
    ]


def test_serve_refuses_to_start_when_a_key_variable_is_unset(
    broken: FaultyUpstream, stub_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "models.yaml"
    path.write_text(model_list(broken.openai_url, stub_url))
    env = {**gateway_env(path, tmp_path), "DEPLOY_HEALTHY_KEY": ""}

    started = subprocess.run(
        serve(free_port()),
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 2
    assert "deployment 'healthy': its key variable DEPLOY_HEALTHY_KEY is not set" in (
        started.stderr
    )
    assert str(path) in started.stderr


def test_langgraph_dev_routes_through_the_model_list(
    broken: FaultyUpstream, stub_url: str, tmp_path: Path
) -> None:
    """`langgraph dev` on the defaults (its blocking-call detector on) with a model list: the
    router's frontier falls back from the broken deployment to the healthy one."""
    path = tmp_path / "models.yaml"
    path.write_text(model_list(broken.openai_url, stub_url))
    env = {k: v for k, v in gateway_env(path, tmp_path).items() if "GATEWAY" not in k}
    with langgraph_dev_server(env, tmp_path) as url:
        response = httpx.post(
            f"{url}/runs/wait",
            json={"assistant_id": "router", "input": {"messages": [
                {"role": "user", "content": COMPLEX}
            ]}, "context": {"threshold": 0.0}},
            timeout=300,
        )  # fmt: skip
    state = response.json()
    assert "__error__" not in state, state
    assert state["answered_by"] == "frontier"
    (usage,) = [record for record in state["usage"] if record["tier"] == "frontier"]
    assert usage["deployment"] == "healthy"
    assert usage["fallback_from"] == ["broken"]  # breakers are per process: a fresh one
