"""Richer labels for the embedding head: RouterBench's eleven models, leave one task out.

python bench/difficulty_labels.py --cache /work/wt/router-cache/vectors.npz

RouterBench rows carry eleven models' scores. A prompt's difficulty (the share of those models
that fail it) may say more about where a strong model pays than the single weak/strong gain bit.
The head is fitted on a soft label mixing both, for RouterBench rows (ARC, MBPP, WinoGrande):

    label = (1 − a) · (gain + 1) / 2  +  a · difficulty

RouteLLM rows (two models only) keep the gain label. One fixed head recipe (`within-linear/l2=1`,
the previous shipped file's choice), a ∈ {0, 0.25, 0.5, 1}, each scored leave one task out:
train on four tasks plus the anchors, score the fifth's gain ranking (APGR), once. All four
rows are printed; nothing here is chosen on the held-out task.
"""

from __future__ import annotations

import argparse
import csv
import os
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from five_tasks import EMBEDDER, SHARED, apgr_of, load_all, vectors_for

from asymroute.evaluation.csv_cells import clean_prompt
from asymroute.learning.embedded_rows import anchor_rows, rows_of
from asymroute.learning.embedding_recipes import fit_head, head_logits

ALPHAS = (0.0, 0.25, 0.5, 1.0)
NOT_MODELS = ("", "sample_id", "prompt", "eval_name", "oracle_model_to_route_to")
csv.field_size_limit(1 << 30)


def difficulty_by_prompt() -> dict[str, float]:
    """Share of RouterBench's models scoring < 0.5 on each prompt (empty cells left out)."""
    out: dict[str, list[float]] = {}
    for path in sorted((SHARED / "routerbench").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            models = [c for c in reader.fieldnames or [] if "|" not in c and c not in NOT_MODELS]
            for row in reader:
                scores = [float(row[m]) for m in models if row.get(m, "").strip()]
                if scores:
                    share_failing = float(np.mean([s < 0.5 for s in scores]))
                    out.setdefault(clean_prompt(row["prompt"] or ""), []).append(share_failing)
    return {prompt: float(np.mean(values)) for prompt, values in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path)
    args = parser.parse_args()
    data = load_all()
    rows = rows_of(data, vectors_for(data.prompts, args.cache))
    extra = anchor_rows(EMBEDDER)
    difficulty = difficulty_by_prompt()
    known = np.array([p in difficulty for p in data.prompts])
    hard = np.array([difficulty.get(p, 0.0) for p in data.prompts])
    print(f"{known.sum()} rows with eleven models' difficulty (mean {hard[known].mean():.3f})")
    tasks = np.array(rows.tasks)
    gain_label = (rows.gain + 1.0) / 2.0
    results: dict[float, dict[str, float]] = {}
    for alpha in ALPHAS:
        label = np.where(known, (1 - alpha) * gain_label + alpha * hard, gain_label)
        results[alpha] = {}
        for task in sorted(set(rows.tasks)):
            train = np.flatnonzero(tasks != task)
            everything = rows.subset(train).plus(extra)
            y = np.concatenate([label[train], (extra.gain + 1.0) / 2.0])
            head = fit_head(everything, 1.0, within=True, label=y)
            held = rows.subset(np.flatnonzero(tasks == task))
            scores = head_logits(head, held.vectors, held.dense)
            results[alpha][task] = apgr_of(scores, held.weak, held.strong)
        cells = " ".join(f"{t} {v:.3f}" for t, v in results[alpha].items())
        values = list(results[alpha].values())
        print(
            f"a={alpha:<4} {cells}  mean {np.mean(values):.3f} (min {min(values):.3f})", flush=True
        )


if __name__ == "__main__":
    main()
