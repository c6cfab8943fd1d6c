"""What should the router read for a follow-up turn? (a probe on the conversational dev sets)

Each turn of `bench/data/conversations_*.jsonl` is scored by a classifier under several
readings of the conversation so far (`asymroute/conversation.py` has the policies):

- `inherit` (the gateway's policy): the latest turn alone, except that a short follow-up keeps
  the score of the turn it follows when that is higher;
- `latest`: the latest turn alone;
- `joined`: the user turns joined, read as one text (the embedder keeps the last 256 pieces);
  this is how the written training conversations are read;
- `joined+inherit`: joined, and a short follow-up keeps the previous turn's score if higher;
- `mean-logit`: the mean of the latest and the previous turn's logits.

The yes/no sets print APGR and the ranking quality (AUC) of first turns and follow-ups apart;
the graded sets print graded APGR (judge scores in place of right/wrong), all turns, first
turns and follow-ups. A bootstrap (1,000 resamples of whole conversations, seed 0) gives the 95%
interval of `joined+inherit` minus `inherit`: of the follow-ups' AUC on the yes/no sets, and of the
graded APGR, per graded set and pooled over the two graded sets of different prompts.

    python bench/followup_probe.py [--classifier embedding|learned|heuristic]
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]

from cascade_headroom import auc  # noqa: E402

from asymroute.classifiers import get_classifier  # noqa: E402
from asymroute.classifiers.base import Classifier  # noqa: E402
from asymroute.conversation import FollowupPolicy, is_followup, score_turns  # noqa: E402
from bench.support.conversation_sets import (  # noqa: E402
    GRADED_SETS,
    SETS,
    conversation_draws,
    graded_apgr,
    graded_turns,
    labelled_turns,
    labels_apgr,
)

Reading = Callable[[list[str]], float]
RESAMPLES = 1000


def readings(classifier: Classifier) -> dict[str, Reading]:
    def score(text: str) -> float:
        return classifier.score(text).score  # the classifier keeps its scores

    def logit(text: str) -> float:
        p = min(max(score(text), 1e-9), 1 - 1e-9)
        return math.log(p / (1 - p))

    def policy(mode: str) -> Reading:
        return lambda turns: score_turns(turns, classifier, FollowupPolicy(mode=mode)).score

    def joined(turns: list[str]) -> float:
        return score("\n\n".join(turns))

    def joined_inherit(turns: list[str]) -> float:
        own = joined(turns)
        if len(turns) > 1 and is_followup(turns[-1], FollowupPolicy().max_words):
            return max(own, score(turns[-2]))
        return own

    def mean_logit(turns: list[str]) -> float:
        z = float(np.mean([logit(t) for t in turns[-2:]]))
        return 1 / (1 + math.exp(-z))

    return {
        "inherit": policy("inherit"),
        "latest": policy("latest"),
        "joined": joined,
        "joined+inherit": joined_inherit,
        "mean-logit": mean_logit,
    }


def yes_no_set(path: Path, ways: dict[str, Reading], rng: np.random.Generator) -> None:
    items = labelled_turns(path)
    frontier = np.array([label for _, label in items])
    followup = np.array([len(turns) > 1 for turns, _ in items])
    print(f"{path.stem}: {len(items)} turns, {followup.sum()} follow-ups")
    scores = {name: np.array([way(t) for t, _ in items]) for name, way in ways.items()}
    for name, s in scores.items():
        line = f"  {name:<15} APGR {labels_apgr(frontier, s):.3f}"
        if followup.sum() >= 20:
            line += f"  AUC first turns {auc(s[~followup], frontier[~followup]):.3f}"
            line += f", follow-ups {auc(s[followup], frontier[followup]):.3f}"
        print(line)
    if followup.sum() >= 20:
        index = np.flatnonzero(followup)
        new, old = scores["joined+inherit"], scores["inherit"]
        gains = []
        for _ in range(RESAMPLES):
            k = rng.choice(index, len(index))
            gains.append(auc(new[k], frontier[k]) - auc(old[k], frontier[k]))
        low, high = np.percentile(gains, [2.5, 97.5])
        print(f"  follow-up AUC, joined+inherit - inherit: {low:+.3f} .. {high:+.3f} (95%)")


def graded_set(path: Path, ways: dict[str, Reading], rng: np.random.Generator) -> np.ndarray:
    """Print the set's figures; return `joined+inherit` minus `inherit` over the resamples."""
    turns = graded_turns(path)
    weak, strong, followup = turns.weak, turns.strong, turns.followup
    print(f"{path.stem}: {len(weak)} graded turns, {followup.sum()} after the first")
    scores = {name: np.array([way(t) for t in turns.turns]) for name, way in ways.items()}
    for name, s in scores.items():
        parts = [graded_apgr(weak[m], strong[m], s[m]) for m in (..., ~followup, followup)]
        print(f"  {name:<15} graded APGR {parts[0]:.3f}  first turns {parts[1]:.3f}", end="")
        print(f", later turns {parts[2]:.3f}")
    new, old = scores["joined+inherit"], scores["inherit"]
    gains = np.array(
        [
            graded_apgr(weak[k], strong[k], new[k]) - graded_apgr(weak[k], strong[k], old[k])
            for k in conversation_draws(turns, rng, RESAMPLES)
        ]
    )
    low, high = np.percentile(gains, [2.5, 97.5])
    print(f"  graded APGR, joined+inherit - inherit: {low:+.3f} .. {high:+.3f} (95%)")
    return gains


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--classifier", default="embedding")
    args = parser.parse_args()
    ways = readings(get_classifier(args.classifier))
    rng = np.random.default_rng(0)
    for path in SETS:
        yes_no_set(path, ways, rng)
    pooled = np.mean([graded_set(path, ways, rng) for path in GRADED_SETS], axis=0)
    low, mid, high = np.percentile(pooled, [2.5, 50, 97.5])
    print(f"pooled over the graded sets, joined+inherit - inherit: {mid:+.3f}", end="")
    print(f" ({low:+.3f} .. {high:+.3f})")


if __name__ == "__main__":
    main()
