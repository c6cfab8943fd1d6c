"""Does the shipped head, combined with a second signal, route held-out tasks better? (a probe)

Three combinations of the shipped recipe's linear head (`linear/l2=0.01+conversations=6`, fitted
exactly as `encoder_probe.py score` fits it) with something it does not have:

- `experts`: the dense features again, once per training group (the four tasks, everyday), each
  copy multiplied by a gate's probability that the prompt belongs to that group (one-vs-rest
  logistic models on the embedding). The head can then weigh length or numbers differently for
  word problems than for conversations. `--weights` scales the copies' l2 (1/w² of the head's).
- `difficulty`: a second head fitted on RouterBench's three tasks only, on each prompt's
  difficulty (the share of the nine models other than the weak/strong pair that fail it), added
  to the shipped head's standardised logit with weight w. Per-model heads composed as
  p(strong right)·(1 − p(weak right)) are printed for the RouterBench tasks held out.
- `word-problem`: the `learned` router's standardised logit (length and number features, its
  held-out GSM8K is 0.624) added with weight w, but only where a fixed rule calls the prompt a
  math word problem (prose with two or more numbers and twenty or more words, no code, no
  lettered choices).

Every figure is leave one task out (second heads, gates and `learned` are fitted on the four
training tasks only) plus the two conversational development sets; every weight is printed and
none is chosen on a held-out task. The vectors come from `encoder_probe.py` (`texts`, `embed`):

    python bench/combination_probe.py experts /tmp/ep/minilm.npz --weights 0.01,1,100
    python bench/combination_probe.py difficulty /tmp/ep/minilm.npz --weights 0,0.25,0.5,1
    python bench/combination_probe.py word-problem /tmp/ep/minilm.npz --weights 0,0.5,1,2,4
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]

import numpy as np  # noqa: E402
from encoder_probe import (  # noqa: E402
    head_scorer,
    lookup_embeddings,
    probe_rows,
    shipped_recipe_head,
)
from five_tasks import SHARED, apgr_of, load_all  # noqa: E402
from outcome_bound import FILES, STRONG, WEAK, outcomes  # noqa: E402

from asymroute.classifiers.embedding_model import dense_rows  # noqa: E402
from asymroute.evaluation.csv_cells import clean_prompt  # noqa: E402
from asymroute.learning.embedded_rows import (  # noqa: E402
    ANCHOR_TASK,
    CONVERSATION_TASK,
    EmbeddedRows,
    balanced_weight,
    embed_prompts,
    everyday_rows,
    head_sample_index,
    task_of,
)
from asymroute.learning.embedding_recipes import (  # noqa: E402
    EMBEDDING_SCALE,
    head_logits,
    with_conversations,
)
from asymroute.learning.fitting import fit_newton, standardise  # noqa: E402
from asymroute.learning.prompt_trainer import train_prompt_router  # noqa: E402
from asymroute.learning.trainers import TrainOptions  # noqa: E402
from bench.support.conversation_sets import (  # noqa: E402
    SETS,
    LogitClassifier,
    labelled_turns,
    turns_apgr,
)

Scorer = Callable[[list[str]], np.ndarray]
"""Logits for a list of prompts."""
RouterBenchRow = tuple[str, np.ndarray]


class Probe:
    """The vector file's benchmark rows, the everyday rows, and the embedder that reads them."""

    def __init__(self, path: Path) -> None:
        self.embedder = f"probe:{path}"
        self.data = load_all()
        self.rows = probe_rows(self.data, path)
        self.everyday = everyday_rows(self.embedder)
        self.present = lookup_embeddings(str(path)).rows  # type: ignore[attr-defined]

    def vectors(self, prompts: list[str]) -> np.ndarray:
        return np.asarray(embed_prompts(self.embedder, prompts, show_progress=False))

    def shipped_head(self, training: EmbeddedRows) -> Scorer:
        """The shipped recipe's head on `training`, its logit standardised on those rows."""
        head = shipped_recipe_head(training, self.everyday)
        z = head_logits(head, training.vectors, training.dense)
        mean, spread = z.mean(), z.std()
        logits = head_scorer(head, self.embedder)
        return lambda p: (logits(p) - mean) / spread

    def run(self, fit: Callable[[EmbeddedRows, str], dict[str, Scorer]]) -> None:
        """Leave one task out for every variant `fit` returns, plus the development sets."""
        tasks = np.array(self.rows.tasks)
        devs = {dev.stem: labelled_turns(dev) for dev in SETS}
        held_out: dict[str, dict[str, float]] = {}
        dev_figures: dict[str, dict[str, list[float]]] = {}
        for held in sorted(set(self.rows.tasks)):
            test = self.rows.subset(np.flatnonzero(tasks == held))
            for variant, scorer in fit(
                self.rows.subset(np.flatnonzero(tasks != held)), held
            ).items():
                held_out.setdefault(variant, {})[held] = apgr_of(
                    scorer(list(test.prompts)), test.weak, test.strong
                )
                per_set = dev_figures.setdefault(variant, {stem: [] for stem in devs})
                for stem, items in devs.items():
                    per_set[stem].append(turns_apgr(LogitClassifier(scorer), items))
            print(f"  {held} done", flush=True)
        for variant, figures in held_out.items():
            cells = " ".join(f"{t} {v:.3f}" for t, v in figures.items())
            dev = " ".join(
                f"{k} {min(v):.3f}-{max(v):.3f}" for k, v in dev_figures[variant].items()
            )
            print(f"{variant}: {cells} | mean {np.mean(list(figures.values())):.3f} | {dev}")


def group_of(task: str) -> str:
    return "everyday" if task in (ANCHOR_TASK, CONVERSATION_TASK) else task


def experts(probe: Probe, weights: list[float]) -> Callable[[EmbeddedRows, str], dict[str, Scorer]]:
    def fit(training: EmbeddedRows, held: str) -> dict[str, Scorer]:
        rows = with_conversations(training.plus(probe.everyday), 6.0)
        rows = rows.subset(head_sample_index(rows))
        groups = np.array([group_of(t) for t in rows.tasks])
        scaled = rows.vectors.astype(float) * EMBEDDING_SCALE
        gates = [
            fit_newton(scaled, (groups == g).astype(float), np.ones(len(groups)), 0.1)
            for g in sorted(set(groups))
        ]
        mean, spread = standardise(rows.dense)

        def features(vectors: np.ndarray, dense: np.ndarray, copies: float) -> np.ndarray:
            v = np.asarray(vectors, float) * EMBEDDING_SCALE
            z = np.stack([v @ w + b for w, b in gates], axis=1)
            p = np.exp(z - z.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            d = (dense - mean) / spread
            return np.hstack([v, d, *(copies * p[:, [k]] * d for k in range(len(gates)))])

        out: dict[str, Scorer] = {"shipped head": probe.shipped_head(training)}
        y = (rows.gain + 1.0) / 2.0
        for w in weights:
            copies = 1.0 / math.sqrt(w)  # a column scaled by c carries l2 / c² in the fit
            coef, bias = fit_newton(
                features(rows.vectors, rows.dense, copies), y, balanced_weight(rows), 0.01
            )
            out[f"experts l2x{w:g}"] = lambda p, coef=coef, bias=bias, copies=copies: (
                features(probe.vectors(p), dense_rows(p), copies) @ coef + bias
            )
        return out

    return fit


def routerbench_outcomes(present: dict[str, int]) -> tuple[list[str], dict[str, RouterBenchRow]]:
    """RouterBench's model columns, and per prompt the vector file holds: its file and every
    model's right/wrong (nan where the model has no score)."""
    by_prompt: dict[str, RouterBenchRow] = {}
    for name in FILES:
        prompts, models, right = outcomes(SHARED / "routerbench" / f"{name}.csv")
        for raw, row in zip(prompts, right, strict=True):
            prompt = clean_prompt(raw or "")
            if prompt in present:
                by_prompt[prompt] = (name, row)
    return models, by_prompt  # the three files share one header


def difficulty(
    probe: Probe, weights: list[float]
) -> Callable[[EmbeddedRows, str], dict[str, Scorer]]:
    models, outcome = routerbench_outcomes(probe.present)

    def fit(training: EmbeddedRows, held: str) -> dict[str, Scorer]:
        prompts = [p for p in training.prompts if p in outcome]
        files = np.array([outcome[p][0] for p in prompts])
        right = np.stack([outcome[p][1] for p in prompts])
        weak, strong = models.index(WEAK), models.index(STRONG)
        others = [k for k in range(len(models)) if k not in (weak, strong)]
        x = np.hstack([probe.vectors(prompts) * EMBEDDING_SCALE, dense_rows(prompts)])
        mean, spread = standardise(x)
        x = (x - mean) / spread
        w = np.array([1.0 / np.sum(files == f) for f in files])
        w *= len(w) / w.sum()

        def head(label: np.ndarray) -> Scorer:
            known = ~np.isnan(label)
            coef, bias = fit_newton(x[known], label[known], w[known], 0.1)

            def scorer(p: list[str]) -> np.ndarray:
                z = np.hstack([probe.vectors(p) * EMBEDDING_SCALE, dense_rows(p)])
                return np.asarray((z - mean) / spread @ coef + bias)

            return scorer

        fails = head(1.0 - np.nanmean(right[:, others], axis=1))
        base = fails(list(training.prompts))
        shipped = probe.shipped_head(training)
        out: dict[str, Scorer] = {
            f"shipped + {v:g} difficulty": lambda p, v=v: (
                shipped(p) + v * (fails(p) - base.mean()) / base.std()
            )
            for v in weights
        }
        if held in ROUTERBENCH_TASKS:
            p_weak, p_strong = head(right[:, weak]), head(right[:, strong])
            sig = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
            out["per-model heads composed"] = lambda p: sig(p_strong(p)) * (1 - sig(p_weak(p)))
        return out

    return fit


ROUTERBENCH_TASKS = ("arc-challenge", "mbpp", "winogrande")
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
CODE = re.compile(r"```|\bdef |\breturn\b|;\s*$", re.M)
CHOICES = re.compile(r"(?m)^\s*\(?[A-D][).:]\s")


def word_problem(prompt: str) -> bool:
    """Prose with two or more numbers and twenty or more words, no code, no lettered choices."""
    if CODE.search(prompt) or CHOICES.search(prompt):
        return False
    return len(NUMBER.findall(prompt)) >= 2 and len(prompt.split()) >= 20


def word_problems(
    probe: Probe, weights: list[float]
) -> Callable[[EmbeddedRows, str], dict[str, Scorer]]:
    tasks = np.array([task_of(g) for g in probe.data.groups])
    fires = np.array([word_problem(p) for p in probe.data.prompts])
    shares = (f"{t} {fires[tasks == t].mean():.2f}" for t in sorted(set(tasks)))
    print("the rule fires on " + ", ".join(shares))
    for dev in SETS:
        turns = labelled_turns(dev)
        print(f"  and on {dev.stem} {np.mean([word_problem(t[-1]) for t, _ in turns]):.2f}")

    def fit(training: EmbeddedRows, held: str) -> dict[str, Scorer]:
        learned = train_prompt_router(
            probe.data.subset(tasks != held), TrainOptions(show_progress=False)
        )

        def learned_logit(p: list[str]) -> np.ndarray:
            q = np.clip(np.array([learned.probability(x) for x in p]), 1e-6, 1 - 1e-6)
            return np.asarray(np.log(q / (1 - q)))

        sample = np.random.default_rng(0).choice(len(training.prompts), 2000, replace=False)
        base = learned_logit([training.prompts[k] for k in sample])
        shipped = probe.shipped_head(training)

        def combined(p: list[str], v: float) -> np.ndarray:
            gate = np.array([word_problem(x) for x in p], dtype=float)
            return shipped(p) + v * gate * (learned_logit(p) - base.mean()) / base.std()

        out: dict[str, Scorer] = {
            f"shipped + {v:g} learned on word problems": lambda p, v=v: combined(p, v)
            for v in weights
        }
        out["learned alone"] = learned_logit
        return out

    return fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("combination", choices=("experts", "difficulty", "word-problem"))
    parser.add_argument("vectors", type=Path, help="a vector file of encoder_probe.py embed")
    parser.add_argument("--weights", required=True, help="comma-separated, every one printed")
    args = parser.parse_args()
    weights = [float(w) for w in args.weights.split(",")]
    probe = Probe(args.vectors)
    make = {"experts": experts, "difficulty": difficulty, "word-problem": word_problems}
    probe.run(make[args.combination](probe, weights))


if __name__ == "__main__":
    main()
