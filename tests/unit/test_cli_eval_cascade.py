"""`asymroute eval --cascade` from the command line: the report and the options' errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from asymroute.cli import EXIT_USAGE, main

WEAK = "mistralai/Mixtral-8x7B-Instruct-v0.1"
STRONG = "gpt-4-1106-preview"
PAIR = ["--weak", WEAK, "--strong", STRONG]


def write_sums(path: Path, sums: list[tuple[int, int]]) -> Path:
    """A RouteLLM-format file of additions; every third weak answer is off by one."""
    header = ["prompt", WEAK, STRONG, f"{WEAK}_response"]
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for i, (a, b) in enumerate(sums):
            right = i % 3 != 1
            total = a + b if right else a + b + 1
            answer = f"{a} + {b} = {total}\n#### {total}"
            writer.writerow([f"What is {a}+{b}?", right, True, answer])
    return path


SUMS = [(2, 3), (4, 5), (7, 8), (10, 12), (3, 9), (6, 6), (11, 4), (5, 13)]


@pytest.fixture
def sums_file(tmp_path: Path) -> Path:
    return write_sums(tmp_path / "sums.csv", SUMS)


def cascade(*options: str, data: Path) -> list[str]:
    return ["eval", str(data), *PAIR, "--cascade", "--folds", "2", "--router", "heuristic",
            *options]  # fmt: skip


def test_cascade_json_reports_every_router_and_the_operating_point(
    sums_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*cascade("--validators", "structural,scorer", "--json", data=sums_file)]) == 0
    report = json.loads(capsys.readouterr().out)
    names = [r["name"] for r in report["routers"]]
    assert names == [
        "pre-route heuristic",
        "pre-route learned prompt model (cross-fitted)",
        "cascade (structural+scorer)",
        "oracle",
    ]
    assert report["n"] == len(SUMS) and "live_local" not in report
    assert 0.0 <= report["operating_point"]["escalation_rate"] <= 1.0


def test_replay_without_live_calls_says_consistency_did_not_measure(
    sums_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Not measured offline, so it abstains (unmeasured_policy=pass): nothing escalates.
    assert main(cascade("--validators", "structural,consistency", "--json", data=sums_file)) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["validators"] == ["structural", "consistency"]
    assert report["operating_point"]["escalation_rate"] == 0.0


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        (
            ["--validators", "structural,scorer", "--live-local"],
            ["--live-local calls the local model", "names none of them"],
        ),
        (
            ["--validators", "structural,consistency", "--local-model", "ollama:x"],
            ["--local-model is the model --live-local calls; add --live-local"],
        ),
        (
            ["--validators", "consistency", "--live-local", "--local-model", "nowhere:x"],
            ["--local-model nowhere:x:", "nowhere"],
        ),
    ],
)
def test_live_local_options_are_checked_before_any_call(
    sums_file: Path, capsys: pytest.CaptureFixture[str], options: list[str], fragments: list[str]
) -> None:
    assert main(cascade(*options, data=sums_file)) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("asymroute: error: ") and "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
