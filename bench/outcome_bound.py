"""How much of the strong model's gain could a router know, even knowing other models' outcomes?

A bound from above for routers that read the prompt, on RouterBench's three tasks (the training
halves in ../shared/data/routerbench): the label is the shipped one, gpt-4-1106-preview right
where mistral-7b-chat is wrong. Each row is scored with what no router has at routing time:

- the share of the nine other models that get the prompt wrong (the prompt's true difficulty);
- one other model's failure (mixtral-8x7b, llama-2-70b, gpt-3.5, claude-v2);
- a logistic model on all nine outcomes, fitted in-task (5-fold, seed 0).

If even these rank the gain only so far, a router that predicts difficulty from the text cannot
do better. Prompt length and a random router are printed beside them.

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


def bound(path: Path) -> dict[str, float]:
    header, reader = read_rows(path)
    rows = [r for r in reader if r[WEAK] and r[STRONG]]
    others = [m for m in model_columns(header) if m not in (WEAK, STRONG)]
    score = {m: np.array([float(r[m]) if r[m] else np.nan for r in rows]) for m in others}
    weak = np.array([float(r[WEAK]) >= 0.5 for r in rows])
    strong = np.array([float(r[STRONG]) >= 0.5 for r in rows])
    rng = np.random.default_rng(0)
    tie = 1e-6 * rng.random(len(rows))  # binary scores: break ties at random, not by file order
    wrong = np.stack([np.where(np.isnan(score[m]), np.nan, score[m] < 0.5) for m in others], 1)
    out = {
        "random": float(np.mean([apgr_of(rng.random(len(rows)), weak, strong) for _ in range(50)])),
        "length": apgr_of(np.array([len(r["prompt"]) for r in rows], float), weak, strong),
        "nine fail share": apgr_of(np.nanmean(wrong, axis=1) + tie, weak, strong),
    }
    for m in SINGLE:
        out[f"{m.rsplit('/', 1)[-1]} fails"] = apgr_of((score[m] < 0.5) + tie, weak, strong)
    x, y = np.nan_to_num(wrong, nan=0.5), (strong & ~weak).astype(float)
    fold = rng.permutation(len(rows)) % 5
    figures = []
    for k in range(5):
        train = fold != k  # fit_newton's loss is a mean: l2 = 1/n is a ridge of 1 on the sum
        w, bias = fit_newton(x[train], y[train], np.ones(train.sum()), 1.0 / train.sum())
        s = x[fold == k] @ w + bias
        figures.append(apgr_of(s + tie[fold == k], weak[fold == k], strong[fold == k]))
    out["nine outcomes, logistic (in-task)"] = float(np.mean(figures))
    out["perfect"] = apgr_of((strong & ~weak) + tie, weak, strong)
    return out


def main() -> None:
    for name in FILES:
        figures = bound(SHARED / "routerbench" / f"{name}.csv")
        print(f"{name} ({WEAK.rsplit('/', 1)[-1]} -> {STRONG})")
        for label, value in figures.items():
            print(f"  {label:<36} {value:.3f}")


if __name__ == "__main__":
    main()
