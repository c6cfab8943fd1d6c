"""The conversational development sets in `bench/data` (never trained on), as labelled turns.

`conversations_dev.jsonl` labels each item's last turn (`frontier` is one bool);
`conversations_mtstyle_dev.jsonl` labels every turn (`frontier` is a list, one per turn);
`conversations_multilingual_dev.jsonl` and `conversations_multilingual_matched.jsonl` hold single
requests in languages other than English (the second in easy/hard pairs of matched length).
The graded sets grade every turn instead: the score (1-10) a judge would give a Mixtral-class
and a GPT-4-class answer (`weak`, `strong`: lists, one per turn, the mean of two raters whose
own scores are under `raters`). `conversations_graded_dev.jsonl` is a third set of prompts;
`conversations_mtstyle_graded.jsonl` grades the mtstyle set's turns;
`conversations_switch_graded.jsonl` holds three-turn chats whose users change subject;
`conversations_chats_graded.jsonl` holds three- and four-turn chats of many kinds of users.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
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
MULTILINGUAL_DEV = DATA / "conversations_multilingual_dev.jsonl"
MULTILINGUAL_MATCHED = DATA / "conversations_multilingual_matched.jsonl"
MULTILINGUAL_SETS = (MULTILINGUAL_DEV, MULTILINGUAL_MATCHED)
SETS = (CONVERSATIONS_DEV, MTSTYLE_DEV, *MULTILINGUAL_SETS)
GRADED_DEV = DATA / "conversations_graded_dev.jsonl"
MTSTYLE_GRADED = DATA / "conversations_mtstyle_graded.jsonl"
SWITCH_GRADED = DATA / "conversations_switch_graded.jsonl"
CHATS_GRADED = DATA / "conversations_chats_graded.jsonl"
GRADED_SETS = (GRADED_DEV, MTSTYLE_GRADED, SWITCH_GRADED, CHATS_GRADED)


def labelled_turns(path: Path) -> list[tuple[list[str], bool]]:
    """(the user turns up to the scored one, whether it needs the frontier), per labelled turn."""
    out: list[tuple[list[str], bool]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
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
    return labels_apgr(frontier, policy_scores(classifier, [turns for turns, _ in items]))


def labels_apgr(frontier: np.ndarray, scores: np.ndarray) -> float:
    """APGR of `scores` on labelled turns (`frontier`: whether each needs the frontier), with
    `turns_apgr`'s label rule."""
    return graded_apgr(~frontier, np.ones(len(frontier), dtype=bool), scores)


@dataclass(frozen=True)
class GradedTurns:
    """Every turn of a graded set: the user turns up to it, and both models' judge scores."""

    turns: list[list[str]]
    weak: np.ndarray
    strong: np.ndarray
    conversation: np.ndarray  # which conversation each turn is from, to resample whole ones

    @property
    def followup(self) -> np.ndarray:
        return np.array([len(t) > 1 for t in self.turns])


def graded_turns(path: Path) -> GradedTurns:
    turns: list[list[str]] = []
    weak: list[float] = []
    strong: list[float] = []
    conversation: list[int] = []
    for index, line in enumerate(line for line in path.read_text().splitlines() if line.strip()):
        item = json.loads(line)
        for k, (w, s) in enumerate(zip(item["weak"], item["strong"], strict=True)):
            turns.append(item["turns"][: k + 1])
            weak.append(float(w))
            strong.append(float(s))
            conversation.append(index)
    return GradedTurns(turns, np.array(weak), np.array(strong), np.array(conversation))


def policy_scores(classifier: Classifier, turns: list[list[str]]) -> np.ndarray:
    """Each turn's score as the gateway reads it: with the follow-up policy (`inherit`)."""
    policy = FollowupPolicy()
    return np.array([score_turns(t, classifier, policy).score for t in turns])


def graded_apgr(weak: np.ndarray, strong: np.ndarray, scores: np.ndarray) -> float:
    """APGR with judge scores in place of right/wrong, as RouteLLM measures it on MT-Bench: the
    mean score at each share of frontier calls, as a share of the gap between the two models'
    means. A router that knows which turns gain most can pass 1, since the weak model sometimes
    scores higher. Right/wrong arrays (`labels_apgr`) are the special case of scores 0 and 1."""
    curve = threshold_curve("x", scores, weak, strong)
    return apgr(curve, float(weak.mean()), float(strong.mean()))


def conversation_draws(
    graded: GradedTurns, rng: np.random.Generator, resamples: int
) -> list[np.ndarray]:
    """Bootstrap resamples of the turns' indices, drawing whole conversations with replacement."""
    members = [np.flatnonzero(graded.conversation == i) for i in np.unique(graded.conversation)]
    return [
        np.concatenate([members[j] for j in rng.choice(len(members), len(members))])
        for _ in range(resamples)
    ]


def graded_figures(
    graded: GradedTurns, scores: dict[str, np.ndarray], resamples: int = 1000
) -> dict[str, dict[str, float]]:
    """Each router's graded APGR, with a 95% interval from resampling whole conversations
    (seed 0)."""
    draws = conversation_draws(graded, np.random.default_rng(0), resamples)
    out = {}
    for name, s in scores.items():
        boot = [graded_apgr(graded.weak[k], graded.strong[k], s[k]) for k in draws]
        low, high = np.percentile(boot, [2.5, 97.5])
        value = graded_apgr(graded.weak, graded.strong, s)
        out[name] = {
            "apgr": round(value, 3),
            "low": round(float(low), 3),
            "high": round(float(high), 3),
        }
    return out


class LogitClassifier:
    """A probe's scorer (logits for a list of prompts) as a classifier, for `turns_apgr`."""

    name = "probe"

    def __init__(self, scorer: Callable[[list[str]], np.ndarray]) -> None:
        self.scorer = scorer

    def score(self, prompt: str) -> ComplexityScore:
        z = float(self.scorer([prompt])[0])
        return ComplexityScore(0.5 * (1.0 + math.tanh(0.5 * z)), ())  # no overflow at large z
