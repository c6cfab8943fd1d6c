"""`asymroute eval`, `train` and `calibrate` end to end on a slice of the shared RouteLLM data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asymroute.cli import EXIT_USAGE, main

# A committed slice of the shared RouteLLM data, so these tests run on any machine.
SUBJECT = Path(__file__).resolve().parents[1] / "data" / "routellm" / "mmlu_abstract_algebra.csv"
WEAK = "mistralai/Mixtral-8x7B-Instruct-v0.1"
STRONG = "gpt-4-1106-preview"
PAIR = ["--weak", WEAK, "--strong", STRONG]


def one_line_error(err: str, *fragments: str) -> None:
    assert err.startswith("asymroute: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err


def test_eval_json_has_every_figure(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plot = tmp_path / "curve.png"
    argv = ["eval", str(SUBJECT), *PAIR, "--router", "learned", "--router", "keywords"]

    assert main([*argv, "--json", "--plot", str(plot)]) == 0

    report = json.loads(capsys.readouterr().out)
    assert {"apgr", "cpt50", "cpt80", "n", "skipped"} <= set(report)
    assert report["n"] == 100 and report["skipped"] == 0
    assert [r["name"] for r in report["routers"]] == ["learned", "keywords", "random", "oracle"]
    assert report["routers"][1]["apgr"] == pytest.approx(0.5)
    assert report["routers"][3]["apgr"] > 1.0
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_train_then_eval_and_calibrate_the_trained_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    router = tmp_path / "router.json"

    assert main(["train", str(SUBJECT), *PAIR, "--router", "learned", "-o", str(router)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert main(["eval", str(SUBJECT), *PAIR, "--router", str(router)]) == 0
    table = capsys.readouterr().out
    assert f"learned:{router}" in table and "oracle" in table
    assert main(["calibrate", str(SUBJECT), "--router", str(router), "--strong-share", "0.3",
                 "--json"]) == 0  # fmt: skip
    result = json.loads(capsys.readouterr().out)
    assert result["n"] == 100
    assert result["achieved_share"] == pytest.approx(0.3, abs=0.02)


def test_calibrate_returns_the_quantile(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from asymroute.classifiers import get_classifier
    from asymroute.cli.calibrate import calibrated_threshold

    prompts = tmp_path / "p.txt"
    lines = ["refactor it"] * 3 + ["hello"] * 7
    prompts.write_text("\n".join(lines), encoding="utf-8")

    assert main(["calibrate", str(prompts), "--router", "keywords", "--strong-share", "0.3",
                 "--json"]) == 0  # fmt: skip

    result = json.loads(capsys.readouterr().out)
    # The 70th percentile of seven 0s and three 1s (linear interpolation, as RouteLLM).
    assert result["threshold"] == pytest.approx(0.3) and result["achieved_share"] == 0.3
    scores = [get_classifier("keywords").score(p).score for p in lines]
    assert calibrated_threshold(scores, 0.3) == pytest.approx(0.3)  # type: ignore[arg-type]
    assert calibrated_threshold(list(range(101)), 0.25) == 75.0  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("csv_text", "args", "fragments"),
    [
        ("prompt,a,b\nq,True,False\n", ["--weak", "a", "--strong", "gpt"],
         ["unknown --strong model 'gpt'; available: a, b"]),
        ("prompt,a,b\nq,True,False\n", [], ["choose the model pair", "available: a, b"]),
        ("", ["--weak", "a", "--strong", "b"], ["the file is empty"]),
        ("prompt,a,b\nq,yes?,False\n", ["--weak", "a", "--strong", "b"], ["must be True/False"]),
        ("prompt,a,b\nq,True,True\n", ["--weak", "a", "--strong", "b"], ["same accuracy"]),
        ("text,a,b\nq,True,False\n", ["--weak", "a", "--strong", "b"], ["missing the 'prompt'"]),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", ["eval", "train"])
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    command: str,
    csv_text: str,
    args: list[str],
    fragments: list[str],
) -> None:
    data = tmp_path / "d.csv"
    data.write_text(csv_text, encoding="utf-8")
    extra = ["-o", str(tmp_path / "r.json")] if command == "train" else []

    assert main([command, str(data), *args, *extra]) == EXIT_USAGE

    out, err = capsys.readouterr()
    assert out == ""
    one_line_error(err, *fragments)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["calibrate", "MISSING", "--strong-share", "1.5"], "--strong-share must be within [0, 1]"),
        (["eval", "nope.csv", "--weak", "a", "--strong", "b"], "no such file or directory"),
        (["eval", "x.csv", "--router", "bayes"], "unknown classifier 'bayes'"),
        (["train", "x.csv", "--target", "nope", "-o", "r.json"], "unknown training target"),
        (
            ["train", "x.csv", "--router", "learned", "--recipe", "bogus", "-o", "r.json"],
            "--recipe: bad recipe",
        ),
        # The default trains the embedding router, which chooses its own recipe and l2.
        (
            ["train", "x.csv", "--recipe", "dense/gain/l2=0.01", "-o", "r.json"],
            "--recipe applies to --router learned",
        ),
        (["train", "x.csv", "--l2", "0.1", "-o", "r.json"], "--l2 applies to --router learned"),
    ],
)
def test_bad_options_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    assert main(argv) == EXIT_USAGE

    one_line_error(capsys.readouterr().err, fragment)
