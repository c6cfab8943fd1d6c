"""Do per-task heads, used where a prompt looks like their task, help the shipped head? (a probe)

`own_labels_ceiling.py` shows that a head fitted on one task's rows alone ranks that task's
prompts better than the shipped head, which is one head for every task and the conversations
(in-task GSM8K 0.647 against 0.565). This probe adds such task heads to the shipped recipe's
head and lets them act only where a prompt resembles their task:

- the global head: the shipped recipe (`linear/l2=0.01+conversations=6`) fitted by the trainer's
  own `fit` on the training rows, anchors and written conversations;
- one expert per training task: the shipped head's fit (`fit_head`) on that task's rows alone,
  l2 0.3;
  its logit is standardised on those rows and clipped to ±3 (no extrapolation off the task);
- a gate from the global model's own bank of labelled vectors (500 per task, the anchors and
  the conversations, as shipped): the share of a prompt's 20 nearest bank prompts that come
  from each task (`share`), or only those at cosine ≥ 0.45 (`near`: a benchmark prompt's
  neighbours in its own task are that close, most conversation turns' are not);
- the score: global + Σ_task gate · (a · s · expert − b · (global − m)), where s and m are the
  global logit's spread and mean on the task's rows. b = 0 adds the expert's ranking to the
  global one; b = 1 replaces the global head's ranking inside the task with the expert's.

Printed for every variant, all on the shipped embedder's cached vectors:
- in-task 5-fold (the folds of `five_tasks.py --only in-task`): where traffic resembles a
  training task, as RouterBench's test halves resemble its training halves;
- leave one task out (the held-out task has no expert): what it does to a task never seen;
- the conversational development sets (never trained on): what it costs everyday traffic.

    python bench/task_experts_probe.py --cache VEC [--only in-task|loto|conversations]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]

import numpy as np  # noqa: E402
from five_tasks import (  # noqa: E402
    EMBEDDER,
    apgr_of,
    load_all,
    recipe_named,
    task_folds,
    vectors_for,
)

from asymroute.classifiers.embedding_model import EmbeddingRouterModel, dense_rows  # noqa: E402
from asymroute.learning.embedded_rows import (  # noqa: E402
    EmbeddedRows,
    embed_prompts,
    everyday_rows,
    rows_of,
)
from asymroute.learning.embedding_recipes import fit_head, head_logits  # noqa: E402
from asymroute.learning.embedding_trainer import fit  # noqa: E402
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

RECIPE = recipe_named("linear/l2=0.01+conversations=6")
EXPERT_L2 = 0.3
NEIGHBOURS = 20
NEAR = 0.45
CLIP = 3.0
VARIANTS = tuple((gate, a, b) for gate in ("share", "near") for a in (1.0, 2.0) for b in (0.0, 1.0))


class Expert:
    """One task's own head (the shipped head's fit, on every row of the task), standardised on
    its rows, with the global logit's level there."""

    def __init__(self, task_rows: EmbeddedRows, model: EmbeddingRouterModel) -> None:
        self.head = fit_head(task_rows, EXPERT_L2, per_task=len(task_rows))
        own = head_logits(self.head, task_rows.vectors, task_rows.dense)
        self.level, self.spread = own.mean(), max(own.std(), 1e-9)
        glob = model.mix(task_rows.vectors, task_rows.dense)
        self.global_level, self.global_spread = glob.mean(), max(glob.std(), 1e-9)

    def standardised(self, rows: EmbeddedRows) -> np.ndarray:
        z = (head_logits(self.head, rows.vectors, rows.dense) - self.level) / self.spread
        return np.asarray(np.clip(z, -CLIP, CLIP))


class Mixture:
    def __init__(self, rows: EmbeddedRows, extra: EmbeddedRows) -> None:
        self.model = fit(RECIPE, rows, extra, EMBEDDER)
        tasks = np.array(rows.tasks)
        self.experts = {
            t: Expert(rows.subset(np.flatnonzero(tasks == t)), self.model) for t in set(rows.tasks)
        }

    def gates(self, vectors: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
        """Per gate kind and task, the share of the nearest bank prompts from that task."""
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        similarity = unit.astype(np.float32) @ self.model.unit_bank.T
        nearest = np.argpartition(-similarity, NEIGHBOURS - 1, axis=1)[:, :NEIGHBOURS]
        task = np.array(self.model.tasks)[self.model.bank_task[nearest]]
        near = np.take_along_axis(similarity, nearest, axis=1) >= NEAR
        return {
            "share": {t: (task == t).mean(axis=1) for t in self.experts},
            "near": {t: ((task == t) & near).mean(axis=1) for t in self.experts},
        }

    def logits(self, rows: EmbeddedRows) -> dict[str, np.ndarray]:
        glob = self.model.mix(rows.vectors, rows.dense)
        gates = self.gates(rows.vectors)
        z = {t: e.standardised(rows) for t, e in self.experts.items()}
        out = {"global head": glob}
        for gate, a, b in VARIANTS:
            score = glob.copy()
            for t, e in self.experts.items():
                move = a * e.global_spread * z[t] - b * (glob - e.global_level)
                score += gates[gate][t] * move
            out[f"{gate} a={a:g} b={b:g}"] = score
        return out


def report(title: str, figures: dict[str, dict[str, list[float]]]) -> None:
    print(title)
    tasks = list(next(iter(figures.values())))
    print(f"  {'variant':<20} " + " ".join(f"{t[:11]:>11}" for t in tasks) + "        mean")
    for variant, per_task in figures.items():
        values = [float(np.mean(v)) for v in per_task.values()]
        cells = " ".join(f"{v:>11.3f}" for v in values)
        print(f"  {variant:<20} {cells} {np.mean(values):>11.3f}", flush=True)


def in_task(rows: EmbeddedRows, extra: EmbeddedRows) -> None:
    figures: dict[str, dict[str, list[float]]] = {}
    for task, folds in task_folds(rows.tasks):
        for test in folds:
            mixture = Mixture(rows.subset(np.setdiff1d(np.arange(len(rows)), test)), extra)
            held = rows.subset(test)
            for variant, score in mixture.logits(held).items():
                value = apgr_of(score, held.weak, held.strong)
                figures.setdefault(variant, {}).setdefault(task, []).append(value)
        print(f"  {task} done", flush=True)
    report("in-task 5-fold", figures)


def leave_one_task_out(rows: EmbeddedRows, extra: EmbeddedRows) -> None:
    tasks = np.array(rows.tasks)
    figures: dict[str, dict[str, list[float]]] = {}
    for task in sorted(set(rows.tasks)):
        mixture = Mixture(rows.subset(np.flatnonzero(tasks != task)), extra)
        held = rows.subset(np.flatnonzero(tasks == task))
        for variant, score in mixture.logits(held).items():
            figures.setdefault(variant, {})[task] = [apgr_of(score, held.weak, held.strong)]
    report("leave one task out", figures)


def conversations(rows: EmbeddedRows, extra: EmbeddedRows) -> None:
    mixture = Mixture(rows, extra)
    cache: dict[str, dict[str, float]] = {}

    def scorer(variant: str):  # type: ignore[no-untyped-def]
        def score(prompts: list[str]) -> np.ndarray:
            new = sorted({p for p in prompts if p not in cache})
            if new:
                vectors = np.asarray(embed_prompts(EMBEDDER, new, show_progress=False))
                n = len(new)
                turns = EmbeddedRows(
                    vectors, dense_rows(new), np.zeros(n, bool), np.zeros(n, bool),
                    np.ones(n), ["turn"] * n, new,
                )  # fmt: skip
                for name, values in mixture.logits(turns).items():
                    for prompt, value in zip(new, values, strict=True):
                        cache.setdefault(prompt, {})[name] = float(value)
            return np.array([cache[p][variant] for p in prompts])

        return score

    variants = ["global head", *(f"{g} a={a:g} b={b:g}" for g, a, b in VARIANTS)]
    figures: dict[str, dict[str, list[float]]] = {v: {} for v in variants}
    for path in SETS:
        items = labelled_turns(path)
        for v in variants:
            figures[v][path.stem.removeprefix("conversations_")] = [
                turns_apgr(LogitClassifier(scorer(v)), items)
            ]
    for path in GRADED_SETS:
        graded = graded_turns(path)
        for v in variants:
            scores = policy_scores(LogitClassifier(scorer(v)), graded.turns)
            figures[v][path.stem.removeprefix("conversations_")] = [
                graded_apgr(graded.weak, graded.strong, scores)
            ]
    report("conversational development sets", figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, help="five_tasks.py's vector cache (npz)")
    parser.add_argument("--only", choices=("in-task", "loto", "conversations"))
    args = parser.parse_args()
    data = load_all()
    rows = rows_of(data, vectors_for(data.prompts, args.cache))
    extra = everyday_rows(EMBEDDER)
    parts = {"in-task": in_task, "loto": leave_one_task_out, "conversations": conversations}
    for name, part in parts.items():
        if args.only in (None, name):
            part(rows, extra)


if __name__ == "__main__":
    main()
