"""`asymroute chat`: one turn per input line, thread id shown, resumable with --thread."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from asymroute.cli import main
from tests.support.fake_provider import FakeProvider

FAKE = ["--local-model", "fake:good", "--frontier-model", "fake:frontier"]
FAKE += ["--classifier", "heuristic"]
COMPLEX = "Analyze and debug this parser, then refactor it to be thread-safe."


@pytest.fixture(autouse=True)
def store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASYMROUTE_CHECKPOINT_PATH", str(tmp_path / "cp.sqlite"))


def chat(monkeypatch: pytest.MonkeyPatch, lines: str, *args: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    return main(["chat", *args, *FAKE])


def test_turns_print_answer_route_and_thread_totals(
    monkeypatch: pytest.MonkeyPatch, fake_provider: FakeProvider, capsys: Any
) -> None:
    assert chat(monkeypatch, f"{COMPLEX}\n\nand why?\n/quit\nnever read\n", "--thread", "c") == 0

    out = capsys.readouterr().out
    assert out.startswith("[asymroute] thread c (resume with: asymroute chat --thread c)")
    assert "[asymroute] turn 1 | tier=frontier" in out
    assert "[asymroute] turn 2 | tier=frontier" in out  # the follow-up keeps the frontier
    assert "[asymroute] thread calls: frontier 2, local 0" in out
    assert "never read" not in out and "turn 3" not in out


def test_resuming_a_thread_continues_its_history(
    monkeypatch: pytest.MonkeyPatch, fake_provider: FakeProvider, capsys: Any
) -> None:
    chat(monkeypatch, f"{COMPLEX}\n", "--thread", "r")
    capsys.readouterr()
    assert chat(monkeypatch, "and why?\n", "--thread", "r", "--json") == 0

    lines = capsys.readouterr().out.splitlines()
    assert "resumed: 1 turns so far" in lines[1]
    record = json.loads(lines[2])
    assert record["turn"] == 2 and record["routed"] == "frontier"
    assert record["thread_id"] == "r" and record["totals"]["calls"]["frontier"] == 2


def test_a_refused_turn_is_reported_and_the_session_goes_on(
    monkeypatch: pytest.MonkeyPatch, fake_provider: FakeProvider, capsys: Any
) -> None:
    prices = {"fake:frontier": {"input_per_million": 1, "output_per_million": 2}}
    monkeypatch.setenv("ASYMROUTE_PRICES", json.dumps(prices))
    code = chat(
        monkeypatch, f"{COMPLEX}\nWhat is 2+3?\n", "--budget-run", "0", "--budget-policy", "refuse"
    )

    captured = capsys.readouterr()
    assert code == 1
    assert "asymroute: error: the next frontier call" in captured.err
    assert "[asymroute] turn 1 | tier=local" in captured.out  # the next line was still answered
