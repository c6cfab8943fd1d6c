"""Does anything in the shipped head's reach carry to a task it never saw? (a probe)

Leave one task out stays near 0.55 (docs/evaluation.md). Each part below changes one thing in
the shipped recipe's head (`linear/l2=0.01+conversations=6`, fitted by `fit_head` on the four
training tasks, the anchors and the written conversations, no inner CV) and prints the five
held-out tasks and the six conversational development sets:

- `invariant`: directions the training tasks agree on. One head per training task (its rows
  alone, l2 0.3, logit scaled to unit spread on them); their mean (`avg`), only the columns where
  every task's coefficient has the same sign (`agree`), or those at the smallest magnitude
  (`minmag`), alone or added to the shipped head's standardised logit with weight 0.5 or 1.
- `columns`: dense columns the head lacks. `fragmentation`: word pieces per word and the share
  of words cut into three or more pieces (the encoder's tokenizer; rare and technical words
  fragment), and the log count of words cut at all. `interactions`: distinct numbers times words,
  times sentences and squared, in prose only (no code, no lettered choices): the number of
  quantities in a word problem, which the linear head cannot form.
- `penalty`: the embedding's share of the penalty (`EMBEDDING_SCALE`, 16 as shipped) at several
  l2: a smaller scale penalises the embedding more, leaving more to the dense columns.

Every setting is printed; none is chosen on a held-out task. On the shipped embedder's cached
vectors (`five_tasks.py --cache VEC`):

    python bench/transfer_probe.py invariant|columns|penalty --cache VEC
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]

import numpy as np  # noqa: E402
from five_tasks import EMBEDDER, apgr_of, load_all, vectors_for  # noqa: E402

from asymroute.classifiers.embedding_model import DENSE_COLUMNS, dense_rows  # noqa: E402
from asymroute.learning import embedding_recipes  # noqa: E402
from asymroute.learning.embedded_rows import (  # noqa: E402
    EmbeddedRows,
    embed_prompts,
    everyday_rows,
    rows_of,
)
from asymroute.learning.embedding_recipes import Head, fit_head, with_conversations  # noqa: E402
from bench.support.conversation_sets import (  # noqa: E402
    GRADED_SETS,
    SETS,
    LogitClassifier,
    graded_apgr,
    graded_turns,
    labelled_turns,
    policy_scores,
    turns_apgr,
)

TOKENIZER = HERE.parents[1] / "asymroute/embedders/data/all-MiniLM-L6-v2-tokenizer.json.gz"
TASK_L2 = 0.3
Columns = Callable[[list[str], np.ndarray], np.ndarray]
"""Extra dense columns from the prompts and their dense rows."""
Linear = tuple[np.ndarray, float]
"""Coefficients on [vector, raw dense row] and a bias."""
Variants = Callable[[EmbeddedRows], dict[str, Linear]]
"""Named models fitted on a split's training rows."""


def shipped(training: EmbeddedRows, everyday: EmbeddedRows) -> Head:
    return fit_head(with_conversations(training.plus(everyday), 6.0), 0.01)


def linear(head: Head) -> Linear:
    """The head on raw dense columns, so that heads with different scalings can be added."""
    dims = head.weights.shape[0] - head.mean.shape[0]
    raw = head.weights[dims:] / head.scale
    return np.concatenate([head.weights[:dims], raw]), head.bias - float(head.mean @ raw)


def logits(model: Linear, vectors: np.ndarray, dense: np.ndarray) -> np.ndarray:
    return np.asarray(np.hstack([vectors, dense]) @ model[0] + model[1])


class Turns:
    """The development sets' turns, embedded once; a model's APGR on each set."""

    def __init__(self, columns: Columns | None = None) -> None:
        self.columns = columns
        self.seen: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def rows(self, prompts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        new = sorted({p for p in prompts if p not in self.seen})
        if new:
            vectors = np.asarray(embed_prompts(EMBEDDER, new, show_progress=False))
            dense = dense_rows(new)
            if self.columns is not None:
                dense = np.hstack([dense, self.columns(new, dense)])
            self.seen.update({p: (v, d) for p, v, d in zip(new, vectors, dense, strict=True)})
        return np.array([self.seen[p][0] for p in prompts]), np.array(
            [self.seen[p][1] for p in prompts]
        )

    def classifier(self, model: Linear) -> LogitClassifier:
        return LogitClassifier(lambda prompts: logits(model, *self.rows(prompts)))

    def figures(self, model: Linear) -> dict[str, float]:
        classifier = self.classifier(model)
        out = {p.stem: turns_apgr(classifier, labelled_turns(p)) for p in SETS}
        for path in GRADED_SETS:
            graded = graded_turns(path)
            scores = policy_scores(classifier, graded.turns)
            out[path.stem] = graded_apgr(graded.weak, graded.strong, scores)
        return {k.removeprefix("conversations_"): v for k, v in out.items()}


def run(rows: EmbeddedRows, variants: Variants, turns: Turns) -> None:
    """Leave one task out for every variant, then every variant fitted on all five tasks on the
    development sets."""
    tasks = np.array(rows.tasks)
    held_out: dict[str, dict[str, float]] = {}
    for task in sorted(set(rows.tasks)):
        test = rows.subset(np.flatnonzero(tasks == task))
        for name, model in variants(rows.subset(np.flatnonzero(tasks != task))).items():
            score = logits(model, test.vectors, test.dense)
            held_out.setdefault(name, {})[task] = apgr_of(score, test.weak, test.strong)
    for name, model in variants(rows).items():
        figures = held_out[name]
        cells = " ".join(f"{t[:6]} {v:.3f}" for t, v in figures.items())
        dev = " ".join(f"{k} {v:.3f}" for k, v in turns.figures(model).items())
        print(f"{name}: {cells} | mean {np.mean(list(figures.values())):.3f} | {dev}", flush=True)


def invariant(rows: EmbeddedRows, everyday: EmbeddedRows) -> None:
    def variants(training: EmbeddedRows) -> dict[str, Linear]:
        base_w, base_b = linear(shipped(training, everyday))
        base_w = base_w / logits((base_w, base_b), training.vectors, training.dense).std()
        tasks = np.array(training.tasks)
        per_task = []
        for task in sorted(set(training.tasks)):
            own = training.subset(np.flatnonzero(tasks == task))
            w, b = linear(fit_head(own, TASK_L2, per_task=len(own)))
            per_task.append(w / logits((w, b), own.vectors, own.dense).std())
        stack = np.array(per_task)
        same_sign = np.all(np.sign(stack) == np.sign(stack[0]), axis=0)
        directions = {
            "avg": stack.mean(axis=0),
            "agree": np.where(same_sign, stack.mean(axis=0), 0.0),
            "minmag": np.where(same_sign, np.sign(stack[0]) * np.abs(stack).min(axis=0), 0.0),
        }
        out: dict[str, Linear] = {"shipped head": (base_w, 0.0)}
        for name, direction in directions.items():
            out[name] = (direction, 0.0)
            for weight in (0.5, 1.0):
                out[f"shipped + {weight:g} {name}"] = (base_w + weight * direction, 0.0)
        return out

    run(rows, variants, Turns())


def fragmentation() -> Columns:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(gzip.decompress(TOKENIZER.read_bytes()).decode())
    tokenizer.no_truncation()
    word = re.compile(r"[A-Za-z]{2,}")

    def columns(prompts: list[str], dense: np.ndarray) -> np.ndarray:
        out = np.zeros((len(prompts), 3))
        for i, prompt in enumerate(prompts):
            words = word.findall(prompt[-3000:])  # about the 256 word pieces the encoder reads
            if words:
                pieces = np.array(
                    [len(e.ids) for e in tokenizer.encode_batch(words, add_special_tokens=False)]
                )
                out[i] = pieces.mean() - 1, (pieces >= 3).mean(), np.log1p((pieces >= 2).sum())
        return out

    return columns


def interactions(prompts: list[str], dense: np.ndarray) -> np.ndarray:
    def col(name: str) -> np.ndarray:
        return dense[:, DENSE_COLUMNS.index(name)]

    numbers = col("log_distinct_numbers") * ((col("code") == 0) & (col("choices") == 0))
    return np.column_stack([numbers * col("log_words"), numbers * col("log_sentences"), numbers**2])


def one_head(
    everyday: EmbeddedRows, label: str, l2: float = 0.01, within: bool = False
) -> Variants:
    """The shipped recipe's head with one setting changed, as `run`'s only variant."""

    def variants(training: EmbeddedRows) -> dict[str, Linear]:
        data = with_conversations(training.plus(everyday), 6.0)
        return {label: linear(fit_head(data, l2, within=within))}

    return variants


def widened(rows: EmbeddedRows, extra: Columns | None) -> EmbeddedRows:
    if extra is None or rows.prompts is None:
        return rows
    return replace(rows, dense=np.hstack([rows.dense, extra(rows.prompts, rows.dense)]))


def columns(rows: EmbeddedRows, everyday: EmbeddedRows) -> None:
    extras = {"none": None, "fragmentation": fragmentation(), "interactions": interactions}
    for name, extra in extras.items():
        for within in (False, True):
            label = f"{name}, {'within' if within else 'plain'}"
            head = one_head(widened(everyday, extra), label, within=within)
            run(widened(rows, extra), head, Turns(extra))


def penalty(rows: EmbeddedRows, everyday: EmbeddedRows) -> None:
    turns = Turns()
    settings = (
        (16.0, 0.01),
        (2.0, 0.01),
        (4.0, 0.01),
        (8.0, 0.01),
        (32.0, 0.01),
        (4.0, 0.001),
        (8.0, 0.1),
    )
    for scale, l2 in settings:
        embedding_recipes.EMBEDDING_SCALE = scale  # fit_head reads the module's constant
        run(rows, one_head(everyday, f"scale {scale:g}, l2 {l2:g}", l2), turns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("part", choices=("invariant", "columns", "penalty"))
    parser.add_argument("--cache", type=Path, help="five_tasks.py's vector cache (npz)")
    args = parser.parse_args()
    data = load_all()
    rows = rows_of(data, vectors_for(data.prompts, args.cache))
    everyday = everyday_rows(EMBEDDER)
    {"invariant": invariant, "columns": columns, "penalty": penalty}[args.part](rows, everyday)


if __name__ == "__main__":
    main()
