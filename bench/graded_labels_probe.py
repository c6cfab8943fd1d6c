"""Do graded labels for the written conversations train a better router? (a probe)

Each written training conversation (`asymroute/learning/data/conversations_train.jsonl`) has a
yes/no label, `frontier`. On 2026-12-04 a rater also graded each one's last turn the way an
MT-Bench judge would: the score (1-10) of a Mixtral-8x7B-class and of a GPT-4-class answer
(`judge`: `[weak, strong]`). A yes/no label says nothing of how much the frontier gains; the
grades do. This probe fits the shipped recipe's head (`linear/l2=0.01+conversations=6`, no inner
CV: `encoder_probe.shipped_recipe_head`) with the conversations' soft label replaced by:

- `binary`: the written label, 1 or 0 (the shipped file's);
- `graded/G`: the judged gain, strong minus weak, as min(max(gain / G, 0), 1);
- `mixed/G`: the mean of the two.

Printed for each: leave one task out (train on four tasks plus the everyday rows, score the
fifth), the yes/no development sets (the range over the five heads) and the graded ones
(`bench/data/conversations_*graded*.jsonl`, scored by the head trained on all five tasks, with a
95% interval from resampling whole conversations). Caution: the graded development sets were
graded by raters with the same brief as the training grades, so they share the raters' view;
the yes/no sets, labelled by their writers, do not.

    python bench/graded_labels_probe.py --cache VEC [--scales 2,3,4]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]

import numpy as np  # noqa: E402
from encoder_probe import shipped_recipe_head  # noqa: E402
from five_tasks import EMBEDDER, apgr_of, load_all, vectors_for  # noqa: E402

from asymroute.classifiers.embedding_model import dense_rows  # noqa: E402
from asymroute.learning import written_conversations  # noqa: E402
from asymroute.learning.embedded_rows import (  # noqa: E402
    CONVERSATION_TASK,
    embed_prompts,
    everyday_rows,
    rows_of,
)
from asymroute.learning.embedding_recipes import (  # noqa: E402
    Head,
    head_logits,
)
from bench.support.conversation_sets import (  # noqa: E402
    GRADED_SETS,
    SETS,
    LogitClassifier,
    graded_figures,
    graded_turns,
    labelled_turns,
    policy_scores,
    turns_apgr,
)

Label = Callable[[np.ndarray, np.ndarray], np.ndarray]


def judged_gain() -> np.ndarray:
    """Strong minus weak judge score of every written conversation, in the loader's order."""
    grades = [item.judge for item in written_conversations.load()]
    assert all(g is not None for g in grades), "one judge pair per written conversation"
    return np.array([g[1] - g[0] for g in grades if g is not None], dtype=float)


def labels(scales: list[float]) -> dict[str, Label]:
    """Each variant's conversation label from (written yes/no, judged gain)."""
    out: dict[str, Label] = {"binary": lambda frontier, gain: frontier.astype(float)}
    for g in scales:
        out[f"graded/{g:g}"] = lambda frontier, gain, g=g: np.clip(gain / g, 0.0, 1.0)
        out[f"mixed/{g:g}"] = lambda frontier, gain, g=g: (
            0.5 * (frontier.astype(float) + np.clip(gain / g, 0.0, 1.0))
        )
    return out


class TextVectors:
    """Vectors and dense features of the development sets' turns, embedded once."""

    def __init__(self, texts: list[str]) -> None:
        unique = sorted(set(texts))
        vectors = np.asarray(embed_prompts(EMBEDDER, unique, show_progress=False))
        self.index = {t: k for k, t in enumerate(unique)}
        self.vectors, self.dense = vectors, dense_rows(unique)

    def scorer(self, head: Head) -> Callable[[list[str]], np.ndarray]:
        def score(prompts: list[str]) -> np.ndarray:
            k = [self.index[p] for p in prompts]
            return head_logits(head, self.vectors[k], self.dense[k])

        return score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, help="the prompt vectors of five_tasks.py")
    parser.add_argument("--scales", default="2,3,4")
    args = parser.parse_args()
    data = load_all()
    rows = rows_of(data, vectors_for(data.prompts, args.cache))
    everyday = everyday_rows(EMBEDDER)
    written = np.array([t == CONVERSATION_TASK for t in everyday.tasks])
    frontier, gain = everyday.strong[written], judged_gain()
    assert len(gain) == written.sum(), "one judge pair per written conversation"
    binary = {s.stem: labelled_turns(s) for s in SETS}
    graded = {s.stem: graded_turns(s) for s in GRADED_SETS}
    texts = [t for items in binary.values() for turns, _ in items for t in turns]
    texts += [t for g in graded.values() for turns in g.turns for t in turns]
    dev = TextVectors(texts)
    tasks = np.array(rows.tasks)
    print(f"written conversations: {len(gain)}; judged gain > 0 on {np.mean(gain > 0):.0%}")
    for name, label in labels([float(s) for s in args.scales.split(",")]).items():
        y = label(frontier, gain)
        held_out, dev_ranges = {}, {stem: [] for stem in binary}
        for task in sorted(set(rows.tasks)):
            head = shipped_recipe_head(rows.subset(np.flatnonzero(tasks != task)), everyday, y)
            test = rows.subset(np.flatnonzero(tasks == task))
            held_out[task] = apgr_of(
                head_logits(head, test.vectors, test.dense), test.weak, test.strong
            )
            classifier = LogitClassifier(dev.scorer(head))
            for stem, items in binary.items():
                dev_ranges[stem].append(turns_apgr(classifier, items))
        full = LogitClassifier(dev.scorer(shipped_recipe_head(rows, everyday, y)))
        cells = " ".join(f"{t} {v:.3f}" for t, v in held_out.items())
        print(f"{name:<10} {cells} | mean {np.mean(list(held_out.values())):.3f}")
        for stem, values in dev_ranges.items():
            print(f"    {stem}: {min(values):.3f}-{max(values):.3f}")
        for stem, g in graded.items():
            figures = graded_figures(g, {"head": policy_scores(full, g.turns)})["head"]
            print(f"    {stem}: {figures['apgr']:.3f} ({figures['low']:.3f}-{figures['high']:.3f})")


if __name__ == "__main__":
    main()
