"""The docs' recipe "run llama.cpp's server on the bundled model", followed as a user would.

`asymroute models` prints the serving command; the test starts exactly that command (on a free
port), then routes a request to it as the frontier with only `OPENAI_BASE_URL` set.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from bench.support.processes import free_port, running_server
from tests.integration.test_cli_live import run_cli

DOCS_PROMPT = "Analyze and debug: def add(a, b): return a - b"


def test_the_printed_llama_cpp_server_command_serves_the_frontier(tmp_path: Path) -> None:
    port = free_port()
    listed = run_cli("models", "--json", "--port", str(port), env={}, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    [model] = json.loads(listed.stdout)
    assert Path(model["path"]).is_file()
    path = run_cli("models", "--path", env={}, cwd=tmp_path)
    assert path.stdout == f"{model['path']}\n"

    command = shlex.split(model["serve_llama_cpp"])
    assert command[0] == "python"
    command[0] = sys.executable
    base_url = f"http://127.0.0.1:{port}/v1"
    with running_server(command, f"{base_url}/models", tmp_path / "server.log"):
        env_assignment, *ask = shlex.split(model["use_as_frontier"])
        assert env_assignment == f"OPENAI_BASE_URL={base_url}"
        assert ask[:3] == ["asymroute", "ask", "PROMPT"]
        done = run_cli(
            "ask", DOCS_PROMPT, *ask[3:], "--json", "--max-tokens", "16",
            env={"OPENAI_BASE_URL": base_url}, cwd=tmp_path,
        )  # fmt: skip

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["decision"]["tier"] == "frontier"
    assert result["answered_by"] == "frontier"
    assert [call["model"] for call in result["usage"]] == ["openai:smollm2"]
    assert result["messages"][-1]["content"].strip()
