"""Loading labeled data in RouteLLM and RouterBench formats, and rejecting bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from asymroute.errors import InvalidRequestError
from asymroute.evaluation.costs import row_costs
from asymroute.evaluation.datasets import (
    DatasetError,
    detect_format,
    list_models,
    load_labeled,
)
from asymroute.evaluation.prompts import load_prompts

ROUTELLM = (
    "prompt,weak-model,strong-model,weak-model_response\n"
    '"What is 2+3?",True,True,5\n'
    '"Prove Fermat\'s last theorem",False,True,"I cannot"\n'
    '"Name a colour",True,True,red\n'
)
ROUTERBENCH = (
    "sample_id,prompt,eval_name,weak,strong,weak|model_response,strong|model_response,"
    "weak|total_cost,strong|total_cost,oracle_model_to_route_to\n"
    "s1,What is 2+3?,arith,1.0,1.0,5,5,0.001,0.01,weak\n"
    "s2,\"['Integrate x^2', 'then explain']\",calc,0.0,0.9,x,x^3/3,0.002,0.02,strong\n"
    "s3,Skip me,calc,,1.0,,,0,0,strong\n"
    "s4,Hard one,calc,0.4,0.5,a,b,0.001,0.03,strong\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_detect_format_from_the_header() -> None:
    assert detect_format(["prompt", "a", "b"]) == "routellm"
    assert detect_format(["sample_id", "prompt", "eval_name", "a", "a|total_cost"]) == "routerbench"


def test_loads_routellm_format_with_weak_responses(tmp_path: Path) -> None:
    path = write(tmp_path, "tiny.csv", ROUTELLM)

    data = load_labeled([path], "weak-model", "strong-model")

    assert data.format == "routellm"
    assert data.prompts[1] == "Prove Fermat's last theorem"
    assert data.weak_correct.tolist() == [True, False, True]
    assert data.strong_correct.tolist() == [True, True, True]
    assert data.weak_responses == ["5", "I cannot", "red"]
    assert data.strong_responses is None
    assert data.weak_cost is None and data.strong_cost is None
    assert data.groups == ["tiny"] * 3
    assert data.models == ("weak-model", "strong-model")
    assert data.skipped == 0


def test_loads_routerbench_wide_format_skipping_rows_without_scores(tmp_path: Path) -> None:
    path = write(tmp_path, "bench.csv", ROUTERBENCH)

    data = load_labeled([path], "weak", "strong")

    assert data.format == "routerbench"
    assert data.skipped == 1
    assert data.prompts == ["What is 2+3?", "Integrate x^2\nthen explain", "Hard one"]
    assert data.weak_correct.tolist() == [True, False, False]
    assert data.strong_correct.tolist() == [True, True, True]
    assert data.weak_responses == ["5", "x", "a"]
    np.testing.assert_allclose(data.strong_cost, [0.01, 0.02, 0.03])  # type: ignore[arg-type]
    assert data.groups == ["arith", "calc", "calc"]
    assert list_models([path]) == ("weak", "strong")
    costs = row_costs(data)
    assert costs is not None and costs.source == "recorded"


def test_a_directory_of_files_is_read_together(tmp_path: Path) -> None:
    write(tmp_path, "a.csv", ROUTELLM)
    write(tmp_path, "b.csv", ROUTELLM)

    data = load_labeled([tmp_path], "weak-model", "strong-model")

    assert len(data) == 6
    assert sorted(set(data.groups)) == ["a", "b"]
    assert data.subset(np.array(data.groups) == "b").sources == [str(tmp_path / "b.csv")] * 3


def test_costs_are_estimated_from_length_and_list_prices(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "priced.csv",
        "prompt,mistralai/Mixtral-8x7B-Instruct-v0.1,gpt-4-1106-preview\n"
        + "x" * 400
        + ",True,True\nshort,False,True\n",
    )
    data = load_labeled([path], "mistralai/Mixtral-8x7B-Instruct-v0.1", "gpt-4-1106-preview")

    costs = row_costs(data)

    assert costs is not None and costs.source.startswith("estimated: prompt only")
    # 400 chars = 100 tokens at $10 per million input tokens.
    assert costs.strong[0] == pytest.approx(100 * 10 / 1e6)
    assert costs.weak[0] == pytest.approx(100 * 0.6 / 1e6)


@pytest.mark.parametrize(
    ("text", "weak", "strong", "message"),
    [
        ("", "a", "b", "the file is empty"),
        ("prompt,a,b\n", "a", "b", "no data rows"),
        ("question,a,b\nq,True,False\n", "a", "b", "missing the 'prompt' column"),
        ("prompt,a,b\nq,True,False\n", "a", "gpt", "unknown --strong model 'gpt'; available: a, b"),
        ("prompt,a,b\nq,True,False\n", "x", "b", "unknown --weak model 'x'; available: a, b"),
        ("prompt,a,b\nq,maybe,False\n", "a", "b", "column 'a' must be True/False, got 'maybe'"),
        ("prompt,a,b\nq,True,True\nr,False,False\n", "a", "b", "have the same accuracy"),
        ("prompt,a,b\nq,True,False\n", "a", "a", "the same model"),
        ("prompt\nq\n", "a", "b", "no model columns found"),
    ],
)
def test_bad_input_raises_one_clear_line(
    tmp_path: Path, text: str, weak: str, strong: str, message: str
) -> None:
    path = write(tmp_path, "bad.csv", text)

    with pytest.raises(DatasetError) as raised:
        load_labeled([path], weak, strong)

    assert isinstance(raised.value, InvalidRequestError)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_routerbench_scores_must_be_numbers_within_unit_interval(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", ROUTERBENCH.replace("s4,Hard one,calc,0.4", "s4,H,c,abc"))

    with pytest.raises(DatasetError, match="must be a score in \\[0, 1\\], got 'abc'"):
        load_labeled([path], "weak", "strong")


def test_missing_paths_are_named(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such file or directory"):
        load_labeled([tmp_path / "nope.csv"], "a", "b")


def test_load_prompts_reads_csv_jsonl_and_text(tmp_path: Path) -> None:
    csv_file = write(tmp_path, "p.csv", ROUTELLM)
    jsonl = write(tmp_path, "p.jsonl", '{"prompt": "one"}\n\n{"prompt": "two"}\n')
    text = write(tmp_path, "p.txt", "alpha\n\nbeta\n")

    assert load_prompts([csv_file, jsonl, text]) == [
        "What is 2+3?",
        "Prove Fermat's last theorem",
        "Name a colour",
        "one",
        "two",
        "alpha",
        "beta",
    ]
    with pytest.raises(DatasetError, match="'prompt' field"):
        load_prompts([write(tmp_path, "bad.jsonl", "[1]\n")])
