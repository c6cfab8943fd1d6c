"""Routing quality of the embedding router on the five shared tasks and on conversations.

python bench/five_tasks.py [--cache /tmp/vectors.npz] [--json] [--only loto|in-task|conversations]
    [--router-file FILE] [--routers embedding,learned,heuristic]   (also run by routing_quality.py)

Data: RouteLLM's MMLU + GSM8K (Mixtral-8x7B / GPT-4-1106) and RouterBench's ARC-Challenge, MBPP,
WinoGrande training halves (mistral-7b-chat / gpt-4-1106-preview); only training halves exist
here. Every prompt is embedded once (`minilm`) and the vectors are reused by every split.

Splits (honest: a router never scores a prompt it trained on, and every choice of recipe is
made by inner cross-validation inside the training part):
- leave one task out: train on four tasks (+ anchors), score the fifth once;
- in-task 5-fold: train on the other four tasks plus 4/5 of this task, score the last fifth;
  one fixed recipe (the recipe of `--router-file`, which inner CV over all five tasks chose for
  the shipped file; `IN_TASK_RECIPE` without it), not chosen inside each fold, to keep the 25
  fits affordable, with task heads fitted and kept as the trainer does (`task_head_fit`);
- conversations: two development sets written for this project, never trained on, by writers
  who saw neither each other's items nor the written training conversations:
  `bench/data/conversations_dev.jsonl` (95 items, the last turn labelled) and
  `bench/data/conversations_mtstyle_dev.jsonl` (160 two-turn conversations in 8 categories plus
  60 everyday requests, every turn labelled: 380 turns). The router trained on all five tasks
  scores each labelled turn with the gateway's follow-up policy (`inherit`); `perfect` is the
  APGR of a router that knows every label (the set's ceiling). Four graded sets
  (`bench/data/conversations_*graded*.jsonl`: judge scores, 1-10, for a Mixtral-class and a
  GPT-4-class answer to every turn) are scored with those scores in place of right/wrong, with
  a 95% interval from resampling whole conversations.
`learned` (the previous default's trainer, dense features) and `heuristic` are scored on the
same splits; `random` is 0.5 by definition.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench.support, run as a script

import numpy as np

from asymroute.classifiers import get_classifier
from asymroute.classifiers.embedding import EmbeddingClassifier
from asymroute.classifiers.embedding_model import EmbeddingRouterModel
from asymroute.embedders import get_embedder
from asymroute.evaluation.datasets import LabeledData, load_labeled
from asymroute.evaluation.evaluate import score_prompts
from asymroute.evaluation.metrics import scores_apgr
from asymroute.learning.embedded_rows import (
    EmbeddedRows,
    embed_prompts,
    everyday_rows,
    rows_of,
    task_of,
)
from asymroute.learning.embedding_recipes import BLEND_CANDIDATES, CANDIDATES, EmbeddingRecipe
from asymroute.learning.embedding_trainer import fit, train_on_rows
from asymroute.learning.prompt_trainer import train_prompt_router
from asymroute.learning.task_head_fit import fit_task_heads
from asymroute.learning.trainers import TrainOptions
from bench.support.conversation_sets import (
    GRADED_SETS,
    SETS,
    graded_figures,
    graded_turns,
    labelled_turns,
    policy_scores,
    turns_apgr,
)

# ../shared beside the repository (a worktree under wt/ looks one level further up).
HERE = Path(__file__).resolve()
SHARED = next(
    (p / "shared" / "data" for p in HERE.parents[1:4] if (p / "shared").is_dir()),
    HERE.parents[2] / "shared" / "data",
)
PAIRS = (
    (SHARED / "routellm", "mistralai/Mixtral-8x7B-Instruct-v0.1", "gpt-4-1106-preview"),
    (SHARED / "routerbench", "mistralai/mistral-7b-chat", "gpt-4-1106-preview"),
)
EMBEDDER = "minilm"
IN_TASK_RECIPE = EmbeddingRecipe("linear", l2=1.0, within=True)
ROUTERS = ("embedding", "learned", "heuristic")


def recipe_named(name: str) -> EmbeddingRecipe:
    """The searched candidate called `name` (a router file's `meta.recipe`)."""
    by_name = {c.name: c for c in BLEND_CANDIDATES}
    if name not in by_name:
        raise SystemExit(f"recipe {name!r} is not in the searched grid")
    return by_name[name]


def load_all() -> LabeledData:
    """Both files' rows in one LabeledData (each row keeps its own pair's labels)."""
    parts = [load_labeled([path], weak, strong) for path, weak, strong in PAIRS]
    first, second = parts
    return replace(
        first,
        prompts=first.prompts + second.prompts,
        weak_correct=np.concatenate([first.weak_correct, second.weak_correct]),
        strong_correct=np.concatenate([first.strong_correct, second.strong_correct]),
        weak="Mixtral-8x7B | mistral-7b-chat",
        strong="gpt-4-1106-preview",
        weak_responses=None,
        strong_responses=None,
        weak_cost=None,
        strong_cost=None,
        groups=first.groups + second.groups,
        sources=first.sources + second.sources,
    )


def embedder_identity() -> str:
    """The embedder's name and what it runs (`minilm` runs a converted model, or the file as
    is when the conversion fails): cached vectors of one are not the other's."""
    embedder = get_embedder(EMBEDDER)
    load = getattr(embedder, "load", None)
    if load is not None:
        load()
    return f"{EMBEDDER}/{getattr(embedder, 'runs', '')}"


def vectors_for(prompts: list[str], cache: Path | None) -> np.ndarray:
    key = hashlib.sha256("\x00".join([embedder_identity(), *prompts]).encode()).hexdigest()
    if cache is not None and cache.is_file():
        stored = np.load(cache)
        if str(stored["key"]) == key:
            return np.asarray(stored["vectors"], dtype=np.float32)
    vectors = embed_prompts(EMBEDDER, prompts, show_progress=True)
    if cache is not None:
        np.savez(cache, key=key, vectors=vectors)
    return vectors


apgr_of = scores_apgr
"""The probes' name for `metrics.scores_apgr`."""


def embedding_scores(model: EmbeddingRouterModel, rows: EmbeddedRows) -> np.ndarray:
    return model.probabilities(rows.vectors, rows.dense, rows.prompts)


def learned_scores(train: LabeledData, prompts: list[str]) -> np.ndarray:
    model = train_prompt_router(train, TrainOptions(show_progress=False))
    return np.array([model.probability(p) for p in prompts])


def leave_one_task_out(
    data: LabeledData,
    rows: EmbeddedRows,
    extra: EmbeddedRows,
    routers: tuple[str, ...] = ROUTERS,
    held_out: tuple[str, ...] = (),
    candidates: tuple[EmbeddingRecipe, ...] = CANDIDATES,
) -> dict:
    tasks = np.array(rows.tasks)
    out = {}
    for task in held_out or sorted(set(rows.tasks)):
        test = tasks == task
        model = train_on_rows(rows.subset(np.flatnonzero(~test)), extra, EMBEDDER, candidates)
        held = rows.subset(np.flatnonzero(test))
        prompts = [p for p, t in zip(data.prompts, test, strict=True) if t]
        scores = {"embedding": embedding_scores(model, held)}
        if "learned" in routers:
            scores["learned"] = learned_scores(data.subset(~test), prompts)
        if "heuristic" in routers:
            heuristic = get_classifier("heuristic")
            scores["heuristic"] = score_prompts(heuristic, prompts, show_progress=False)
        out[task] = {
            "n": int(test.sum()),
            "recipe": model.meta["recipe"],
            **{k: apgr_of(v, held.weak, held.strong) for k, v in scores.items()},
        }
        print(f"  {task:<11} {json.dumps(out[task])}", flush=True)
    return out


def task_folds(tasks: list[str], k: int = 5) -> list[tuple[str, list[np.ndarray]]]:
    """Each task's rows split into k random folds (seed 0), as index arrays into `tasks`."""
    labels = np.array(tasks)
    rng = np.random.default_rng(0)
    out = []
    for task in sorted(set(tasks)):
        index = np.flatnonzero(labels == task)
        fold = np.empty(len(index), dtype=int)
        fold[rng.permutation(len(index))] = np.arange(len(index)) % k
        out.append((task, [index[fold == f] for f in range(k)]))
    return out


def in_task_folds(
    rows: EmbeddedRows, extra: EmbeddedRows, recipe: EmbeddingRecipe, k: int = 5
) -> dict:
    out = {}
    for task, folds in task_folds(rows.tasks, k):
        figures = []
        for test in folds:
            train = np.setdiff1d(np.arange(len(rows)), test)
            model = fit(recipe, rows.subset(train), extra, EMBEDDER)
            model.task_heads = fit_task_heads(model, rows.subset(train))
            held = rows.subset(test)
            figures.append(apgr_of(embedding_scores(model, held), held.weak, held.strong))
        out[task] = float(np.mean(figures))
        print(f"  {task:<11} in-task {k}-fold APGR {out[task]:.3f}", flush=True)
    return out


def conversations(model: EmbeddingRouterModel, paths: tuple[Path, ...] = SETS) -> dict:
    out = {}
    classifiers = {
        "embedding": EmbeddingClassifier(model),
        "learned": get_classifier("learned"),
        "heuristic": get_classifier("heuristic"),
    }
    for path in paths:
        items = labelled_turns(path)
        frontier = np.array([label for _, label in items])
        figures: dict = {"n": len(items), "frontier": int(frontier.sum())}
        for name, classifier in classifiers.items():
            figures[name] = round(turns_apgr(classifier, items), 3)
        weak, strong = ~frontier, np.ones(len(items), dtype=bool)  # turns_apgr's label rule
        figures["perfect"] = round(apgr_of(frontier.astype(float), weak, strong), 3)
        out[path.stem] = figures
    for path in GRADED_SETS:
        out[path.stem] = graded(classifiers, path)
    return out


def graded(classifiers: dict, path: Path) -> dict:
    """A graded set: judge scores in place of labels; `perfect` ranks by the true gain."""
    turns = graded_turns(path)
    scores = {name: policy_scores(c, turns.turns) for name, c in classifiers.items()}
    scores["perfect"] = turns.strong - turns.weak
    means = {
        "weak": round(float(turns.weak.mean()), 2),
        "strong": round(float(turns.strong.mean()), 2),
    }
    return {"n": len(turns.turns), **means, **graded_figures(turns, scores)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, help="reuse prompt vectors from this .npz")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--router-file",
        type=Path,
        help="conversations: score this trained file (e.g. the shipped one, trained on all five "
        "tasks by train_embedding_default.py) instead of training again",
    )
    parser.add_argument(
        "--only", choices=("loto", "in-task", "conversations"), help="run one part only"
    )
    parser.add_argument(
        "--blend-learned",
        action="store_true",
        help="search the grid with a learned part too (BLEND_CANDIDATES)",
    )
    parser.add_argument(
        "--tasks", default="", help="leave one task out: hold out only these (comma-separated)"
    )
    parser.add_argument(
        "--routers",
        default=",".join(ROUTERS),
        help="leave one task out: which routers to train and score (comma-separated; the "
        "embedding router always)",
    )
    args = parser.parse_args()
    data = load_all()
    if args.only == "conversations" and args.router_file:
        print("conversations (" + str(args.router_file) + "):")
        print("  " + json.dumps(conversations(EmbeddingRouterModel.load(args.router_file))))
        return
    rows = rows_of(data, vectors_for(data.prompts, args.cache))
    extra = everyday_rows(EMBEDDER)
    grid = BLEND_CANDIDATES if args.blend_learned else CANDIDATES
    print(f"{len(data)} rows; tasks {sorted(set(task_of(g) for g in data.groups))}")
    results: dict = {}
    if args.only in (None, "loto"):
        print("leave one task out (train on four tasks + anchors, score the fifth):")
        routers = tuple(args.routers.split(","))
        loto = results["leave_one_task_out"] = leave_one_task_out(
            data, rows, extra, routers, tuple(t for t in args.tasks.split(",") if t), grid
        )
        for name in sorted({"embedding", *routers} & set(ROUTERS)):
            values = [v[name] for v in loto.values()]
            print(f"  mean {name:<10} {np.mean(values):.3f} (min {min(values):.3f})")
    if args.only in (None, "in-task"):
        recipe = IN_TASK_RECIPE
        if args.router_file:
            recipe = recipe_named(EmbeddingRouterModel.load(args.router_file).meta["recipe"])
        print(f"in-task 5-fold (recipe {recipe.name}):")
        results["in_task_5_fold"] = in_task_folds(rows, extra, recipe)
    if args.only in (None, "conversations"):
        print("conversations (router trained on all five tasks):")
        model = (
            EmbeddingRouterModel.load(args.router_file)
            if args.router_file
            else train_on_rows(rows, extra, EMBEDDER, grid)
        )
        results["conversations"] = conversations(model)
        print("  " + json.dumps(results["conversations"]))
    if args.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
