"""The conversational development sets in `bench/data` (never trained on), as labelled turns.

`conversations_dev.jsonl` labels each item's last turn (`frontier` is one bool);
`conversations_mtstyle_dev.jsonl` labels every turn (`frontier` is a list, one per turn).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from asymroute.classifiers.base import ComplexityScore
from asymroute.conversation import FollowupPolicy, score_turns
from asymroute.evaluation.metrics import apgr, threshold_curve

if TYPE_CHECKING:
    from asymroute.classifiers.base import Classifier

DATA = Path(__file__).resolve().parents[1] / "data"
CONVERSATIONS_DEV = DATA / "conversations_dev.jsonl"
MTSTYLE_DEV = DATA / "conversations_mtstyle_dev.jsonl"
SETS = (CONVERSATIONS_DEV, MTSTYLE_DEV)


def labelled_turns(path: Path) -> list[tuple[list[str], bool]]:
    """(the user turns up to the scored one, whether it needs the frontier), per labelled turn."""
    out: list[tuple[list[str], bool]] = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        labels = item["frontier"]
        if isinstance(labels, bool):
            out.append((item["turns"], labels))
        else:
            out.extend((item["turns"][: k + 1], bool(label)) for k, label in enumerate(labels))
    return out


def turns_apgr(classifier: Classifier, items: list[tuple[list[str], bool]]) -> float:
    """APGR of `classifier` on labelled turns, each scored with the gateway's follow-up policy.

    Label rule: the strong model is right everywhere; the weak one fails where a frontier model
    is needed.
    """
    frontier = np.array([label for _, label in items])
    policy = FollowupPolicy()
    scores = np.array([score_turns(turns, classifier, policy).score for turns, _ in items])
    return labels_apgr(frontier, scores)


def labels_apgr(frontier: np.ndarray, scores: np.ndarray) -> float:
    """APGR of `scores` on labelled turns (`frontier`: whether each needs the frontier), with
    `turns_apgr`'s label rule."""
    weak, strong = ~frontier, np.ones(len(frontier), dtype=bool)
    curve = threshold_curve("x", scores, weak, strong)
    return apgr(curve, float(weak.mean()), float(strong.mean()))


class LogitClassifier:
    """A probe's scorer (logits for a list of prompts) as a classifier, for `turns_apgr`."""

    name = "probe"

    def __init__(self, scorer: Callable[[list[str]], np.ndarray]) -> None:
        self.scorer = scorer

    def score(self, prompt: str) -> ComplexityScore:
        z = float(self.scorer([prompt])[0])
        return ComplexityScore(0.5 * (1.0 + math.tanh(0.5 * z)), ())  # no overflow at large z
