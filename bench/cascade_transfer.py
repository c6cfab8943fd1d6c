"""Does the cascade's answer scorer carry to tasks it was not trained on? (no model calls)

The `scorer` validator ranks the weak model's *answer* by P(wrong), from `answer_features`
(final-answer format, arithmetic checks, hedging, lengths). On GSM8K, cross-fitted inside the
task, that ranks the strong model's gain at APGR 0.79 (docs/cascade.md). Four tasks here carry
the weak model's recorded answers: GSM8K (Mixtral-8x7B, RouteLLM) and RouterBench's ARC-Challenge,
MBPP and WinoGrande (mistral-7b-chat; the training halves). For each task this prints:

- held out: the scorer fitted on the other three tasks' answers, scored once on this task;
- in-task: 10-fold cross-fitted inside the task (the replay's protocol);
- the answer's length alone, and the shipped prompt router's figure for comparison is in
  docs/evaluation.md (leave one task out).

APGR of the ranking by P(wrong) against the strong model's gain, as for a router: which requests
a threshold escalates.

    python bench/cascade_transfer.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]

from five_tasks import SHARED, apgr_of  # noqa: E402

from asymroute.evaluation.datasets import LabeledData, load_labeled  # noqa: E402
from asymroute.learning.answer_trainer import (  # noqa: E402
    cross_fitted_scorers,
    feature_rows,
    fit_answer_scorer,
    weak_answers,
)

STRONG = "gpt-4-1106-preview"
TASKS = {
    "gsm8k": (SHARED / "routellm" / "gsm8k_responses.csv", "mistralai/Mixtral-8x7B-Instruct-v0.1"),
    "arc-challenge": (
        SHARED / "routerbench" / "arc_challenge_train.csv",
        "mistralai/mistral-7b-chat",
    ),
    "mbpp": (SHARED / "routerbench" / "mbpp_train.csv", "mistralai/mistral-7b-chat"),
    "winogrande": (SHARED / "routerbench" / "winograde_train.csv", "mistralai/mistral-7b-chat"),
}
FOLDS = 10


def main() -> None:
    data: dict[str, LabeledData] = {
        task: load_labeled([path], weak, STRONG) for task, (path, weak) in TASKS.items()
    }
    rows = {task: feature_rows(d.prompts, weak_answers(d)) for task, d in data.items()}
    tie = np.random.default_rng(0)  # single-letter answers tie on length: break ties at random
    print(f"{'task':<14} {'n':>5} {'weak acc':>8} {'held out':>9} {'in-task':>8} {'length':>7}")
    for task, d in data.items():
        others = [t for t in data if t != task]
        scorer = fit_answer_scorer(
            np.vstack([rows[t] for t in others]),
            np.concatenate([~data[t].weak_correct for t in others]),
        )
        held_out = apgr_of(scorer.logits(rows[task]), d.weak_correct, d.strong_correct)
        ids, folds = cross_fitted_scorers(d, FOLDS)  # the replay's cross-fitting
        crossed = np.zeros(len(d))
        for k, fold in enumerate(folds):
            crossed[ids == k] = fold.logits(rows[task][ids == k])
        in_task = apgr_of(crossed, d.weak_correct, d.strong_correct)
        words = np.log1p([len(a.split()) for a in weak_answers(d)]) + 1e-6 * tie.random(len(d))
        length = apgr_of(words, d.weak_correct, d.strong_correct)
        print(
            f"{task:<14} {len(d):>5} {d.weak_accuracy:>8.3f} {held_out:>9.3f} {in_task:>8.3f} "
            f"{length:>7.3f}"
        )


if __name__ == "__main__":
    main()
