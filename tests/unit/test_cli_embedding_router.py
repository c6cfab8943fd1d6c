"""`asymroute train/eval/calibrate` of the embedding router (`train`'s default) on a committed
data slice."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from asymroute.cli import main

SUBJECT = Path(__file__).resolve().parents[1] / "data" / "routellm" / "mmlu_abstract_algebra.csv"
PAIR = ["--weak", "mistralai/Mixtral-8x7B-Instruct-v0.1", "--strong", "gpt-4-1106-preview"]


def test_train_eval_and_calibrate_an_embedding_router(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    router = tmp_path / "router.json"

    # No --router: `train` fits the default classifier's router, as `--router embedding` does.
    argv = ["train", str(SUBJECT), *PAIR, "--embedder", "minilm"]
    assert main([*argv, "-o", str(router)]) == 0
    out = capsys.readouterr().out
    assert "embedding router (minilm" in out and f"--classifier embedding:{router}" in out
    meta = json.loads(router.read_text())["meta"]
    assert meta["training_command"].startswith("asymroute ") and meta["rows"] == 100
    # The file carries vectors and labels, never the training prompts' text.
    first_prompt = next(csv.DictReader(SUBJECT.open(encoding="utf-8")))["prompt"]
    assert first_prompt[:40] not in router.read_text()

    assert main(["eval", str(SUBJECT), *PAIR, "--router", str(router), "--router",
                 "heuristic", "--embedder", "minilm", "--json"]) == 0  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    names = [r["name"] for r in report["routers"]]
    assert names == [f"embedding:{router}", "heuristic", "random", "oracle"]

    assert main(["calibrate", str(SUBJECT), "--router", f"embedding:{router}",
                 "--strong-share", "0.3", "--json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["achieved_share"] == pytest.approx(0.3, abs=0.02)


def test_embedder_flag_only_goes_with_the_embedding_router(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["train", str(SUBJECT), *PAIR, "--router", "learned", "--embedder", "minilm", "-o",
            str(tmp_path / "r.json")]  # fmt: skip

    assert main(argv) == 2
    assert "--embedder needs --router embedding" in capsys.readouterr().err


def test_an_unknown_embedder_is_one_line_naming_the_flag(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["eval", str(SUBJECT), *PAIR, "--router", "embedding", "--embedder", "bert"]

    assert main(argv) == 2
    assert "--embedder: unknown embedder 'bert'" in capsys.readouterr().err
