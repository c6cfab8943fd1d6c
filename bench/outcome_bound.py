"""How much of the strong model's gain could a router know, even knowing other models' outcomes?

A bound from above for routers that read the prompt, on RouterBench's three tasks (the training
halves in ../shared/data/routerbench): the label is the shipped one, gpt-4-1106-preview right
where mistral-7b-chat is wrong. Each row is scored with what no router has at routing time:

- the share of the nine other models that get the prompt wrong (the prompt's true difficulty);
- one other model's failure (mixtral-8x7b, llama-2-70b, gpt-3.5, claude-v2);
- a logistic model on all nine outcomes, fitted in-task (5-fold, seed 0).

If even these rank the gain only so far, a router that predicts difficulty from the text cannot
do better. Prompt length and a random router are printed beside them.

On GSM8K (RouteLLM's file: Mixtral -> GPT-4, with both answers), the same question for the work
a problem needs: each row is scored by GPT-4's own solution (its length, its steps as lines and
as `=` signs), which a router could at best predict from the problem.

    python bench/outcome_bound.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]

from five_tasks import SHARED, apgr_of  # noqa: E402

from asymroute.evaluation.csv_cells import read_rows  # noqa: E402
from asymroute.learning.fitting import fit_newton  # noqa: E402

WEAK, STRONG = "mistralai/mistral-7b-chat", "gpt-4-1106-preview"
SINGLE = ("mistralai/mixtral-8x7b-chat", "meta/llama-2-70b-chat", "gpt-3.5-turbo-1106", "claude-v2")
FILES = ("arc_challenge_train", "mbpp_train", "winograde_train")


NOT_MODELS = ("", "sample_id", "prompt", "eval_name", "oracle_model_to_route_to")


def model_columns(header: list[str]) -> list[str]:
    """RouterBench's score columns: the model names (the others carry `|` or are metadata)."""
    return [c for c in header if "|" not in c and c not in NOT_MODELS]


def outcomes(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    """(prompts as in the file, the model columns, right/wrong per row and model: 1, 0, or nan
    where the model has no score), for the rows where the weak and the strong model are graded."""
    header, reader = read_rows(path)
    rows = [r for r in reader if r[WEAK] and r[STRONG]]
    models = model_columns(header)
    right = np.array(
        [[float(float(r[m]) >= 0.5) if r[m] else np.nan for m in models] for r in rows]
    ).reshape(len(rows), len(models))
    return [r["prompt"] for r in rows], models, right


def bound(path: Path) -> dict[str, float]:
    prompts, models, right = outcomes(path)
    others = [k for k, m in enumerate(models) if m not in (WEAK, STRONG)]
    weak = right[:, models.index(WEAK)] == 1
    strong = right[:, models.index(STRONG)] == 1
    rng = np.random.default_rng(0)
    tie = 1e-6 * rng.random(len(prompts))  # binary scores: break ties at random, not file order
    wrong = 1.0 - right[:, others]
    out = {
        "random": float(
            np.mean([apgr_of(rng.random(len(prompts)), weak, strong) for _ in range(50)])
        ),
        "length": apgr_of(np.array([len(p) for p in prompts], float), weak, strong),
        "nine fail share": apgr_of(np.nanmean(wrong, axis=1) + tie, weak, strong),
    }
    for m in SINGLE:
        out[f"{m.rsplit('/', 1)[-1]} fails"] = apgr_of(
            (right[:, models.index(m)] == 0) + tie, weak, strong
        )
    x, y = np.nan_to_num(wrong, nan=0.5), (strong & ~weak).astype(float)
    fold = rng.permutation(len(prompts)) % 5
    figures = []
    for k in range(5):
        train = fold != k  # fit_newton's loss is a mean: l2 = 1/n is a ridge of 1 on the sum
        w, bias = fit_newton(x[train], y[train], np.ones(train.sum()), 1.0 / train.sum())
        s = x[fold == k] @ w + bias
        figures.append(apgr_of(s + tie[fold == k], weak[fold == k], strong[fold == k]))
    out["nine outcomes, logistic (in-task)"] = float(np.mean(figures))
    out["perfect"] = apgr_of((strong & ~weak) + tie, weak, strong)
    return out


def gsm8k_solution_bound() -> dict[str, float]:
    rows = list(read_rows(SHARED / "routellm" / "gsm8k_responses.csv")[1])
    mixtral, gpt4 = "mistralai/Mixtral-8x7B-Instruct-v0.1", "gpt-4-1106-preview"
    weak = np.array([row[mixtral] == "True" for row in rows])
    strong = np.array([row[gpt4] == "True" for row in rows])
    solutions = [row[f"{gpt4}_response"] for row in rows]

    def rank(values: list[float]) -> float:
        return apgr_of(np.array(values, float), weak, strong)

    return {
        "prompt length": rank([len(row["prompt"]) for row in rows]),
        "gpt-4 solution length": rank([len(text) for text in solutions]),
        "gpt-4 solution lines": rank([text.count("\n") for text in solutions]),
        "gpt-4 solution '=' signs": rank([text.count("=") for text in solutions]),
    }


def main() -> None:
    print("gsm8k (Mixtral-8x7B -> gpt-4-1106-preview)")
    for label, value in gsm8k_solution_bound().items():
        print(f"  {label:<36} {value:.3f}")
    for name in FILES:
        figures = bound(SHARED / "routerbench" / f"{name}.csv")
        print(f"{name} ({WEAK.rsplit('/', 1)[-1]} -> {STRONG})")
        for label, value in figures.items():
            print(f"  {label:<36} {value:.3f}")


if __name__ == "__main__":
    main()
