"""`asymroute run-workflow`: steps printed as they complete, totals, resume, usage errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from asymroute.cli import main
from tests.support.fake_provider import FakeProvider

FAKE = ["--local-model", "fake:good", "--frontier-model", "fake:frontier"]
FAKE += ["--classifier", "heuristic"]
COMPLEX = "Analyze and debug the tokenizer, then refactor it."


@pytest.fixture(autouse=True)
def store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "cp.sqlite"
    monkeypatch.setenv("ASYMROUTE_CHECKPOINT_PATH", str(path))
    return path


def test_prints_each_step_route_and_the_totals(
    fake_provider: FakeProvider, capsys: Any, store: Path
) -> None:
    code = main(["run-workflow", "Fix it.", "--step", "What is 2+3?", "--step", COMPLEX, *FAKE])

    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("[asymroute] thread ") and "resume with --thread" in lines[0]
    assert "plan: 2 steps, given by the caller" in out
    assert "step 1/2: What is 2+3?" in out and "step 2/2: Analyze and debug" in out
    routes = [line for line in lines if line.startswith("  tier=")]
    assert routes[0].startswith("  tier=local | model=fake:good")
    assert routes[1].startswith("  tier=frontier | model=fake:frontier")
    assert "totals: calls: frontier 1, local 2" in out  # the synthesis is local too
    assert store.is_file()


def test_json_output_and_thread_reuse(fake_provider: FakeProvider, capsys: Any) -> None:
    main(["run-workflow", "What is 2+3?", "--thread", "t1", "--json", *FAKE])
    state = json.loads(capsys.readouterr().out.split("\n", 1)[1])

    assert state["thread_id"] == "t1" and state["plan"]["tier"] == "local"
    assert state["step_results"][0]["model"] == "fake:good"


def test_resume_needs_a_thread_with_unfinished_work(capsys: Any) -> None:
    assert main(["run-workflow"]) == 2
    assert "give a task, or --thread ID" in capsys.readouterr().err
    assert main(["run-workflow", "--thread", "nothing-here"]) == 2
    assert "no interrupted workflow to resume" in capsys.readouterr().err


def test_bad_budget_is_a_usage_error(capsys: Any) -> None:
    assert main(["run-workflow", "x", "--budget-run", "-1"]) == 2
    assert "budget_per_run_usd must be a non-negative" in capsys.readouterr().err
