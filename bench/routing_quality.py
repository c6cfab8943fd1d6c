"""Every routing-quality figure in the README: honest splits on RouteLLM's GSM8K and MMLU data.

python bench/routing_quality.py [--data ../shared/data/routellm] [--json]
python bench/routing_quality.py --five-tasks [five_tasks.py options]   (the embedding router:
    leave one task out over the five shared tasks, in-task 5-fold, conversations; see
    bench/five_tasks.py)

Protocol (honest model selection): for each split, `train_prompt_router` (the same code as
`asymroute train`) chooses its recipe (features, label, l2) by grouped 5-fold cross-validation
INSIDE the training part only (MMLU: whole subjects per fold; GSM8K alone: random folds), fits
it on the whole training part plus the hand-written anchors, and only then is the held-out part
scored, once. Nothing here is tuned on the held-out parts. A learned router is never
evaluated on prompts it trained on:
- gsm8k (leave-one-dataset-out): train on all MMLU, evaluate on GSM8K;
- mmlu (leave-one-dataset-out): train on GSM8K, evaluate on all MMLU;
- mmlu-subjects: train on 80% of MMLU's 57 subjects, evaluate on the other 20% (subjects in
  alphabetical order, every fifth starting with the third: fixed, not chosen by result).
The learned router is trained with the same trainer and defaults as `asymroute train`.
heuristic and keywords are fixed rules; random is its exact expectation (a straight line,
APGR 0.5); oracle is the best possible. Costs are estimated (see `asymroute.evaluation.costs`).
On the MMLU splits, `subject` is a reference, not a router: it scores every prompt with its
subject's own gain (strong minus weak accuracy, measured on the very rows scored), i.e. the
ceiling of any router that knows only the subject, and knows it perfectly.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

# Small dense solves: one BLAS thread is several times faster on a shared machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from asymroute.classifiers import get_classifier
from asymroute.evaluation.datasets import LabeledData, load_labeled
from asymroute.evaluation.evaluate import evaluate, format_saving, score_prompts
from asymroute.learning.prompt_trainer import train_prompt_router
from asymroute.learning.trainers import TrainOptions

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "routellm"
WEAK = "mistralai/Mixtral-8x7B-Instruct-v0.1"
STRONG = "gpt-4-1106-preview"
GSM8K_GROUP = "gsm8k_responses"


def splits(data: LabeledData) -> dict[str, tuple[LabeledData, LabeledData]]:
    groups = np.array(data.groups)
    gsm = groups == GSM8K_GROUP
    subjects = sorted(set(groups[~gsm]))
    held = [s for i, s in enumerate(subjects) if i % 5 == 2]
    held_mask = np.isin(groups, held)
    return {
        "gsm8k (train: MMLU)": (data.subset(~gsm), data.subset(gsm)),
        "mmlu (train: GSM8K)": (data.subset(gsm), data.subset(~gsm)),
        f"mmlu {len(held)} held-out subjects (train: other 46)": (
            data.subset(~gsm & ~held_mask),
            data.subset(held_mask),
        ),
    }


def subject_ceiling(test: LabeledData) -> np.ndarray | None:
    """Each row's subject gain, measured on `test` itself; None for a single-subject split."""
    groups = np.array(test.groups)
    if len(set(test.groups)) < 2:
        return None
    gain = test.strong_correct.astype(float) - test.weak_correct.astype(float)
    by_group = {group: float(gain[groups == group].mean()) for group in set(test.groups)}
    return np.array([by_group[group] for group in test.groups])


def main() -> None:
    if "--five-tasks" in sys.argv:
        import five_tasks

        sys.argv.remove("--five-tasks")
        five_tasks.main()
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    data = load_labeled([args.data], WEAK, STRONG)
    results = {}
    for name, (train, test) in splits(data).items():
        model = train_prompt_router(train, TrainOptions(show_progress=False))
        recipe, inner = model.meta["recipe"], model.meta["inner_cv_apgr"]
        scores = {"learned": np.array([model.probability(p) for p in test.prompts])}
        for rule in ("heuristic", "keywords"):
            scores[rule] = score_prompts(get_classifier(rule), test.prompts, show_progress=False)
        if (ceiling := subject_ceiling(test)) is not None:
            scores["subject"] = ceiling
        report = evaluate(test, scores)
        results[name] = {"recipe": recipe, "inner_cv_apgr": inner, **report.as_json()}
        if not args.json:
            print(f"\n## {name}: {len(train)} training rows, {report.n} evaluated")
            print(
                f"chosen by inner CV on the training part: {recipe} (CV APGR {inner[recipe]:.3f})"
            )
            print(f"weak {report.weak_accuracy:.3f}, strong {report.strong_accuracy:.3f}")
            print(
                f"{'router':<10} {'APGR':>6} {'CPT50':>7} {'CPT80':>7} {'cost@95%strong':>20} "
                f"{'saving@95%gain':>15}"
            )
            for r in report.routers:
                cells = [r.cpt50, r.cpt80, r.cost_saving_95]
                text = ["  never" if c is None else f"{c:7.1%}" for c in cells]
                at_strong = format_saving(r.saving_at_95_strong, r.cheaper_at_95_strong)
                print(
                    f"{r.name:<10} {r.apgr:>6.3f} {text[0]:>7} {text[1]:>7} {at_strong:>20} "
                    f"{text[2]:>15}"
                )
    if args.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
