"""The cascade benches run end to end (small numbers), so their README figures stay
reproducible: the headroom analysis on a generated file, the live consistency bench on the
real embedded SmolLM2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.unit.test_cli_eval_cascade import write_sums

ROOT = Path(__file__).resolve().parents[2]


def run_bench(name: str, *args: str) -> str:
    command = [sys.executable, str(ROOT / "bench" / name), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def test_cascade_headroom_prints_the_boost_table_and_the_learning_curve(tmp_path: Path) -> None:
    sums = [(a, b) for a in range(2, 12) for b in (3, 7, 20, 41, 55, 68)]
    data = write_sums(tmp_path / "sums.csv", sums)
    out = run_bench("cascade_headroom.py", "--data", str(data), "--folds", "2")
    lines = out.splitlines()
    assert lines[0].startswith(f"{len(sums)} rows; weak 0.667, frontier 1.000")
    assert lines[1].split() == ["boost", "AUC", "cheaper", "at", "95%"]
    assert len([line for line in lines if line.strip().endswith("x")]) == 8
    assert "AUC needed for 3x at 95% of the frontier: " in out
    assert len([line for line in lines if "rows): AUC " in line]) == 6


def test_consistency_live_bench_calls_the_local_model_and_scores_every_signal() -> None:
    out = run_bench(
        "consistency_live.py", "--questions", "3", "--samples", "1", "--max-tokens", "24"
    )
    first = out.splitlines()[0]
    # Three answers of one kind (all right or all wrong) have no AUC; the bench says so.
    assert first.startswith("3 questions, llamacpp:smollm2: ")
    assert "(0 failed)" in first
    assert "answers consistency could measure" in out
    for signal in ("consistency (1 - agreement)", "scorer (cost-weighted P(wrong))", "oracle"):
        assert signal in out
