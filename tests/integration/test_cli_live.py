"""`asymroute ask` as a user runs it: a real process, real models, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.integration.conftest import FRONTIER_ALIAS, OLLAMA_MODEL


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asymroute.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=cwd,
        timeout=240,
    )


def test_ask_prints_answer_and_route_line(
    openai_server: str, ollama_server: str, tmp_path: Path
) -> None:
    env = {"OPENAI_BASE_URL": openai_server, "OLLAMA_BASE_URL": ollama_server}
    done = run_cli(
        "ask", "What is 2+3?", "--local-model", f"ollama:{OLLAMA_MODEL}", "--max-tokens", "24",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer, route = done.stdout.rstrip("\n").rsplit("\n", 1)
    assert "5" in answer
    for field in ("tier=local", f"model=ollama:{OLLAMA_MODEL}", "score=", "reasons=",
                  "escalated=no", "latency=", "cost=$0.000000"):  # fmt: skip
        assert field in route, route


def test_ask_json_without_frontier_reports_frontier_unavailable(
    ollama_server: str, tmp_path: Path
) -> None:
    done = run_cli(
        "ask", "Analyze and debug this recursive parser, then refactor it.", "--json",
        "--local-model", f"ollama:{OLLAMA_MODEL}", "--max-tokens", "16",
        env={"OLLAMA_BASE_URL": ollama_server}, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["decision"]["frontier_unavailable"] is True
    assert "frontier_unavailable" in result["flags"]
    assert result["answered_by"] == "local"
    assert result["usage"][0]["model"] == f"ollama:{OLLAMA_MODEL}"


def test_ask_strict_without_frontier_exits_2(ollama_server: str, tmp_path: Path) -> None:
    done = run_cli(
        "ask", "Analyze and debug this recursive parser, then refactor it.", "--strict",
        "--local-model", f"ollama:{OLLAMA_MODEL}",
        env={"OLLAMA_BASE_URL": ollama_server}, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().startswith("asymroute: error:")
    assert "Traceback" not in done.stderr


def test_ask_reads_endpoints_from_dotenv(
    openai_server: str, ollama_server: str, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        f"OPENAI_BASE_URL={openai_server}\nOLLAMA_BASE_URL={ollama_server}\n"
    )
    done = run_cli(
        "ask", "Analyze and debug this recursive parser, then refactor it.",
        "--frontier-model", f"openai:{FRONTIER_ALIAS}", "--max-tokens", "16", "--json",
        env={}, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["answered_by"] == "frontier"


def test_unreachable_local_endpoint_fails_fast_without_frontier(tmp_path: Path) -> None:
    done = run_cli(
        "ask", "What is 2+3?", "--local-model", "ollama:anything",
        env={"OLLAMA_BASE_URL": "http://127.0.0.1:9"}, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1
    assert "no frontier is configured" in done.stderr and "Traceback" not in done.stderr


def test_eval_cascade_live_local_calls_the_real_local_model_per_resample(
    ollama_server: str, tmp_path: Path
) -> None:
    from tests.unit.test_cli_eval_cascade import PAIR, write_sums

    data = write_sums(tmp_path / "sums.csv", [(2, 3), (4, 5), (7, 8)])
    done = run_cli(
        "eval", str(data), *PAIR, "--cascade", "--folds", "2", "--router", "heuristic",
        "--validators", "structural,consistency", "--live-local",
        "--local-model", f"ollama:{OLLAMA_MODEL}", "--json",
        env={"OLLAMA_BASE_URL": ollama_server}, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    # Every recorded answer states a final answer, so each gets consistency_samples (2) calls.
    assert report["live_local"] == {
        "model": f"ollama:{OLLAMA_MODEL}",
        "calls": 6,
        "failed": 0,
        "first_error": None,
    }
