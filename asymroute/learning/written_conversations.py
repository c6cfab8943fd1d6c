"""The written conversational training set: everyday and chat requests labelled local or frontier.

Provenance: `data/conversations_train.jsonl` (2,393 items) was written for asymroute on
2026-12-03 by four writers, each on their own brief: (a) writing, advice, roleplay, extraction,
humanities, business, law and language; (b) arithmetic, math, logic, code, SQL, science,
medicine and finance; (c) two-turn chats in ten categories whose follow-up changes the
difficulty either way; (d) production gateway traffic (support drafts, spreadsheets, DevOps,
agents, compliance, homework...). Nothing was taken from a data set or a model's output. The
items were checked against the project's development sets (`bench/data/conversations_*.jsonl`,
written independently): those sharing a turn with them were dropped. About a quarter are
multi-turn: `turns` lists the user turns, oldest first, and the label is the last turn's.
`judge` (added 2026-12-04) grades that last turn as an MT-Bench judge would, `[weak, strong]`:
the 1-10 score of a Mixtral-8x7B-class and of a GPT-4-class answer, predicted by one rater per
item who saw the turns but not the label (`bench/graded_labels_probe.py` measures training on it).

Label rule: `frontier` when a mid-size model (Mixtral-8x7B class) would likely answer clearly
worse than a frontier one: multi-step math, proofs, logic traps, non-trivial code, writing under
hard checkable constraints, extraction that needs reasoning, expert analysis with interacting
constraints. Both labels occur in every topic, and length was kept from giving the label
away (long pasted texts with easy questions, one-line proofs).

Translations: `data/conversations_translated.jsonl` holds 547 of those items rendered into
another language on 2026-12-05 by four translators who kept every constraint, so that the label,
topic and `judge` are the source's (`source` is its line in the training file). 550 items of at
most 700 characters were drawn at random, half local and half frontier (seed 15), 50 for each of
French, Spanish, German, Portuguese, Italian, Chinese, Japanese, Russian, Korean, Arabic and
Hindi; three were already in their language and were dropped. The shipped router does not train on
them: `bench/multilingual_probe.py` measured them (docs/evaluation.md, "Requests in other
languages").

Why: benchmark rows teach what makes one prompt of a task harder than another of the same
task, never which *kinds* of request need the frontier, which is what routes everyday traffic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

DATA_FILE = "conversations_train.jsonl"
TRANSLATED_FILE = "conversations_translated.jsonl"


@dataclass(frozen=True)
class WrittenItem:
    topic: str
    turns: tuple[str, ...]
    frontier: bool
    judge: tuple[int, int] | None = None
    """The last turn's judge scores, (weak, strong), where the file has them."""

    @property
    def text(self) -> str:
        """What the router learns from: the user turns, joined (the label is the last turn's,
        read in the light of the turns before it)."""
        return "\n\n".join(self.turns)


def load(translated: bool = False) -> list[WrittenItem]:
    """The written items, then with `translated` their translations (a probe's: the shipped
    router does not train on them, see `bench/multilingual_probe.py`)."""
    files = (DATA_FILE, TRANSLATED_FILE) if translated else (DATA_FILE,)
    return [item for name in files for item in _read(name)]


def _read(name: str) -> list[WrittenItem]:
    path = resources.files("asymroute.learning") / "data" / name
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            judge = None
            if "judge" in raw:
                weak, strong = raw["judge"]  # exactly two scores
                judge = (weak, strong)
            items.append(
                WrittenItem(raw["topic"], tuple(raw["turns"]), bool(raw["frontier"]), judge)
            )
    return items
