"""How does the router do on requests in other languages, and do translated training
conversations help? (a probe)

The encoder (all-MiniLM-L6-v2) was trained on English text, and the written conversations are
English. `bench/data/conversations_multilingual_dev.jsonl` holds 240 requests written directly
in ten other languages (never trained on; bench/data/README.md). This probe prints:

- `shipped`: the shipped file on that set and, beside it, on the English mtstyle set: per
  language the order (AUC), the share of hard requests sent to the frontier and of easy ones
  kept local at threshold 0.5; APGR on each set and on both pooled, where a language that
  scores lower than English at the same difficulty loses rank.
- `translations`: the shipped recipe's head (`linear/l2=0.01+conversations=6`, no inner CV)
  fitted with and without the translated written conversations
  (`asymroute/learning/data/conversations_translated.jsonl`): leave one task out, every
  conversational development set, and the English and multilingual sets pooled.

    python bench/multilingual_probe.py shipped
    python bench/multilingual_probe.py translations --cache VEC
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]

import numpy as np  # noqa: E402
from five_tasks import EMBEDDER, load_all, vectors_for  # noqa: E402
from transfer_probe import Linear, Turns, linear, run  # noqa: E402

from asymroute.classifiers import get_classifier  # noqa: E402
from asymroute.conversation import FollowupPolicy, score_turns  # noqa: E402
from asymroute.learning.embedded_rows import (  # noqa: E402
    EmbeddedRows,
    anchor_rows,
    conversation_rows,
    rows_of,
)
from asymroute.learning.embedding_recipes import fit_head, with_conversations  # noqa: E402
from bench.support.conversation_sets import (  # noqa: E402
    MTSTYLE_DEV,
    MULTILINGUAL_SETS,
    labelled_turns,
    turns_apgr,
)


def auc(scores: np.ndarray, frontier: np.ndarray) -> float:
    hard, easy = scores[frontier][:, None], scores[~frontier][None, :]
    return float(np.mean((hard > easy) + 0.5 * (hard == easy)))


def languages(path: Path) -> np.ndarray:
    lines = path.read_text(encoding="utf-8").splitlines()
    return np.array([json.loads(line)["lang"] for line in lines if line.strip()])


def line(group: str, scores: np.ndarray, frontier: np.ndarray) -> str:
    return (
        f"{group:<18} n {len(scores):>3}  AUC {auc(scores, frontier):.3f}  hard sent to the "
        f"frontier {np.mean(scores[frontier] >= 0.5):.2f}  easy kept local "
        f"{np.mean(scores[~frontier] < 0.5):.2f}"
    )


def shipped() -> None:
    classifier, policy = get_classifier("embedding"), FollowupPolicy()
    sets = {"English (mtstyle)": MTSTYLE_DEV} | {
        p.stem.split("_")[-1]: p for p in MULTILINGUAL_SETS
    }
    items = {}
    for name, path in sets.items():
        items[name] = labelled_turns(path)
        scores = np.array([score_turns(t, classifier, policy).score for t, _ in items[name]])
        frontier = np.array([label for _, label in items[name]])
        print(line(name, scores, frontier))
        if path in MULTILINGUAL_SETS:
            group = languages(path)
            for language in dict.fromkeys(group):
                m = group == language
                print("  " + line(language, scores[m], frontier[m]))
    english = items.pop("English (mtstyle)")
    for name, other in items.items():
        alone, pooled = turns_apgr(classifier, other), turns_apgr(classifier, english + other)
        own = turns_apgr(classifier, english)
        print(f"APGR: English {own:.3f}, {name} {alone:.3f}, both pooled {pooled:.3f}")


def translations(cache: Path | None) -> None:
    data = load_all()
    rows = rows_of(data, vectors_for(data.prompts, cache))
    anchors = anchor_rows(EMBEDDER)
    turns = Turns()
    english = labelled_turns(MTSTYLE_DEV)
    for label, translated in (("English conversations", False), ("with translations", True)):
        everyday = anchors.plus(conversation_rows(EMBEDDER, translated))

        def variants(
            training: EmbeddedRows, everyday: EmbeddedRows = everyday, label: str = label
        ) -> dict[str, Linear]:
            data = with_conversations(training.plus(everyday), 6.0)
            return {label: linear(fit_head(data, 0.01))}

        run(rows, variants, turns)
        classifier = turns.classifier(variants(rows)[label])
        for path in MULTILINGUAL_SETS:
            pooled = turns_apgr(classifier, english + labelled_turns(path))
            print(f"  {path.stem} pooled with English (mtstyle): {pooled:.3f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("part", choices=("shipped", "translations"))
    parser.add_argument("--cache", type=Path, help="five_tasks.py's vector cache (npz)")
    args = parser.parse_args()
    if args.part == "shipped":
        shipped()
    else:
        translations(args.cache)


if __name__ == "__main__":
    main()
