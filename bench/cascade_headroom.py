"""How good would the answer signal have to be for the cascade to be 3x cheaper at 95% of GPT-4?

    python bench/cascade_headroom.py [--data PATH] [--folds 10] [--seed 0]

Takes the cascade exactly as `bench/cascade_quality.py` replays it (structural + the learned
answer scorer, cross-fitted, cost-aware, local calls at $0) and then strengthens its risk with
knowledge no deployed validator has: the logit of each row's risk is moved by `boost` toward the
truth (up when the weak answer is wrong, down when it is right). `boost = 0` is the product as
shipped. For each boost it prints the risk's AUC at telling wrong weak answers from right ones
and the cost ratio against frontier-only at 95% of the frontier's accuracy; the last line
interpolates the AUC the 3x target needs. This is an analysis of headroom, not a router.

Then a learning curve: the answer scorer's out-of-fold AUC (plain P(wrong), 10 folds) when each
fold's model sees only part of the other folds' rows. A curve still rising at the full size would
say more rows of the same kind would help; a flat one says the features carry no more.
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from asymroute.context import RouterContext
from asymroute.evaluation.cascade import cascade_costs, cascade_curve, judge_answers
from asymroute.evaluation.datasets import load_labeled
from asymroute.evaluation.metrics import FloatArray, saving_at_strong_quality
from asymroute.learning.answer_trainer import (
    cross_fitted_scorers,
    feature_rows,
    fit_answer_scorer,
    fold_ids,
)

DATA = "/work/shared/data/routellm/gsm8k_responses.csv"
WEAK = "mistralai/Mixtral-8x7B-Instruct-v0.1"
STRONG = "gpt-4-1106-preview"
BOOSTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
TARGET_RATIO = 3.0
TRAIN_SHARES = (0.1, 0.2, 0.4, 0.6, 0.8, 1.0)


def auc(scores: FloatArray, positive: np.ndarray) -> float:
    """Probability that a random positive row outscores a random negative one (ties: half)."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # Average ranks over ties, so a constant score gives 0.5.
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    for start, count in zip(first, counts, strict=True):
        ranks[order[start : start + count]] = start + (count + 1) / 2
    n_pos = int(positive.sum())
    n_neg = len(scores) - n_pos
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DATA)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    data = load_labeled([args.data], WEAK, STRONG)
    policy = RouterContext().validation_policy()
    scorers = cross_fitted_scorers(data, args.folds, args.seed)
    judged = judge_answers(
        data, ["structural", "scorer"], policy, scorers=scorers, show_progress=False
    )
    costs = cascade_costs(data, local_free=True)
    frontier_only = float(costs.strong.sum())
    wrong = ~data.weak_correct
    risk = np.clip(judged.risk, 1e-6, 1 - 1e-6)
    logit = np.log(risk / (1 - risk))
    # Rows tied at the same risk would otherwise keep file order; break ties the same way each run.
    jitter = np.random.default_rng(args.seed).random(len(data)) * 1e-9
    print(f"{len(data)} rows; weak {data.weak_accuracy:.3f}, frontier {data.strong_accuracy:.3f}")
    print(f"{'boost':>6} {'AUC':>6} {'cheaper at 95%':>15}")
    table: list[tuple[float, float]] = []
    for boost in BOOSTS:
        boosted = logit + boost * np.where(wrong, 1.0, -1.0) / 2 + jitter
        curve = cascade_curve("boosted", data, 1 / (1 + np.exp(-boosted)), costs)
        saving = saving_at_strong_quality(curve, data.strong_accuracy, frontier_only)
        ratio = saving[1] if saving else float("nan")
        table.append((auc(boosted, wrong), ratio))
        print(f"{boost:>6.2f} {table[-1][0]:>6.3f} {ratio:>14.2f}x")
    needed = next(
        (
            a0 + (a1 - a0) * (TARGET_RATIO - r0) / (r1 - r0)
            for (a0, r0), (a1, r1) in itertools.pairwise(table)
            if r0 < TARGET_RATIO <= r1
        ),
        None,
    )
    shown = f"{needed:.3f}" if needed is not None else "beyond the table"
    print(f"AUC needed for {TARGET_RATIO:g}x at 95% of the frontier: {shown}")
    print("\nlearning curve: share of the other folds' rows each fold's model trains on")
    rows = feature_rows(data.prompts, list(data.weak_responses or []))
    ids = fold_ids(len(data), args.folds, args.seed)
    rng = np.random.default_rng(args.seed)
    for share in TRAIN_SHARES:
        p_wrong = np.zeros(len(data))
        for fold in range(args.folds):
            pool = np.flatnonzero(ids != fold)
            train = rng.permutation(pool)[: max(int(share * len(pool)), 20)]
            model = fit_answer_scorer(rows[train], wrong[train])
            p_wrong[ids == fold] = model.logits(rows[ids == fold])
        print(f"{share:>6.0%} ({int(share * len(pool)):>4} rows): AUC {auc(p_wrong, wrong):.3f}")


if __name__ == "__main__":
    main()
