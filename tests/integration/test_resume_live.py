"""Crash and resume: a workflow process killed after step 2 of 4 resumes from its checkpoint.

The first process is a real subprocess that hangs after step 2 (a hook in the test's runner
script) and is killed with SIGKILL; the second is `asymroute run-workflow --thread ID`. The
frontier sits behind a counting proxy, so "no frontier call paid twice" is checked on the
upstream's own request count as well as on the usage records.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.support.processes import free_port, running_server
from tests.integration.conftest import FRONTIER_ALIAS, FRONTIER_PRICE, OLLAMA_MODEL, PROJECT_ROOT

RUNNER = PROJECT_ROOT / "tests" / "support" / "workflow_runner.py"
PROXY = PROJECT_ROOT / "tests" / "support" / "counting_proxy.py"
CHAT_COMPLETIONS = "POST /v1/chat/completions"
TASK = "Check the two functions and the two sums."
STEPS = [
    "Analyze and debug this function:\n```python\ndef add(a, b):\n    return a - b\n```",
    "What is 2+3?",
    "Analyze and refactor this function:\n```python\ndef inc(a):\n    return a + 2\n```",
    "What is 4+4?",
]
CONTEXT = {
    "local_model": f"ollama:{OLLAMA_MODEL}",
    "frontier_model": f"openai:{FRONTIER_ALIAS}",
    "max_output_tokens": 32,
    "classifier": "heuristic",
    "validate": False,
}
CLI_CONTEXT = [
    "--local-model", CONTEXT["local_model"], "--frontier-model", CONTEXT["frontier_model"],
    "--max-tokens", "32", "--no-validate", "--classifier", "heuristic",
]  # fmt: skip


@pytest.fixture
def counted_frontier(openai_server: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    upstream = openai_server.removesuffix("/v1")
    command = [sys.executable, str(PROXY), "--port", str(port), "--upstream", upstream]
    with running_server(command, f"http://127.0.0.1:{port}/_counts", tmp_path / "proxy.log"):
        yield f"http://127.0.0.1:{port}"


def frontier_requests(proxy: str) -> int:
    return int(httpx.get(f"{proxy}/_counts", timeout=10).json().get(CHAT_COMPLETIONS, 0))


def run_until_hang(env: dict[str, str], thread: str, timeout_s: float = 240) -> list[dict]:
    """Start the runner, read its steps until it hangs after step 2, then kill it hard."""
    process = subprocess.Popen(
        [sys.executable, str(RUNNER), thread, TASK, *STEPS],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    steps: list[dict] = []
    deadline = time.monotonic() + timeout_s
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("STEP "):
                steps.append(json.loads(line[5:]))
            if line.strip() == "HANGING" or time.monotonic() > deadline:
                break
    finally:
        process.kill()  # SIGKILL: no cleanup, no final checkpoint, like a crashed worker
        _, stderr = process.communicate(timeout=30)
    assert len(steps) == 2, f"the runner did not reach step 2: {stderr[-2000:]}"
    return steps


def test_killed_workflow_resumes_without_rerunning_or_paying_twice(
    counted_frontier: str, ollama_server: str, tmp_path: Path
) -> None:
    price = {f"openai:{FRONTIER_ALIAS}": FRONTIER_PRICE.model_dump()}
    env = {
        **os.environ,
        "ASYMROUTE_CHECKPOINT_PATH": str(tmp_path / "checkpoints.sqlite"),
        "OPENAI_BASE_URL": f"{counted_frontier}/v1",
        "OLLAMA_BASE_URL": ollama_server,
        "ASYMROUTE_PRICES": json.dumps(price),
        "ASYMROUTE_TEST_CONTEXT": json.dumps(CONTEXT),
    }
    before_kill = run_until_hang({**env, "ASYMROUTE_TEST_HANG_AFTER_STEP": "2"}, "crash-1")
    assert [(s["index"], s["tier"]) for s in before_kill] == [(1, "frontier"), (2, "local")], [
        (s["routed"], s["score"], s["reasons"], s["escalation_reason"], s["flags"])
        for s in before_kill
    ]
    assert frontier_requests(counted_frontier) == 1

    resumed = subprocess.run(
        [sys.executable, "-m", "asymroute.cli", "run-workflow", "--thread", "crash-1", "--json",
         *CLI_CONTEXT],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    first_line, payload = resumed.stdout.split("\n", 1)
    assert first_line == "[asymroute] resuming thread crash-1"
    state = json.loads(payload)

    results = state["step_results"]
    assert [r["index"] for r in results] == [1, 2, 3, 4]
    assert [r["tier"] for r in results] == ["frontier", "local", "frontier", "local"]
    # Steps 1 and 2 come from the checkpoint: the very records the killed process wrote.
    assert results[:2] == before_kill
    frontier_usage = [
        usage for r in results for usage in r["usage"] if usage["tier"] == "frontier"
    ] + [u for u in (state["synthesis"] or {}).get("usage", []) if u["tier"] == "frontier"]
    assert len(frontier_usage) == 2
    assert frontier_requests(counted_frontier) == 2  # step 1 once, step 3 once: never twice
    assert state["totals"]["calls"]["frontier"] == 2
    paid = sum(u["cost_usd"] for u in frontier_usage)
    assert paid > 0
    assert state["totals"]["cost_usd"] == pytest.approx(paid)
    assert state["thread_cost_usd"] == pytest.approx(paid)

    again = subprocess.run(
        [sys.executable, "-m", "asymroute.cli", "run-workflow", "--thread", "crash-1"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert again.returncode == 2 and "no interrupted workflow" in again.stderr
