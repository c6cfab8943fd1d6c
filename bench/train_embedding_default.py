"""Train the shipped `embedding` router file on the five shared tasks.

python bench/train_embedding_default.py [--cache /tmp/vectors.npz]
    [-o asymroute/classifiers/weights/embedding_default.json]

The same trainer as `asymroute train --router embedding` (`train_on_rows`: family and
hyper-parameters chosen by inner cross-validation over whole tasks, anchors added), on both
model pairs at once (`five_tasks.load_all`). The file records the recipe, every candidate's
inner-CV APGR, the rows per task, the data files with their sha256, and this command. It holds
vectors, labels and task names, never the prompts' text.
"""

from __future__ import annotations

import argparse
import hashlib
import shlex
from pathlib import Path

from five_tasks import EMBEDDER, PAIRS, load_all, vectors_for

from asymroute.classifiers.embedding import DEFAULT_MODEL
from asymroute.evaluation.datasets import csv_files
from asymroute.learning.embedded_rows import everyday_rows, rows_of
from asymroute.learning.embedding_recipes import BLEND_CANDIDATES, CANDIDATES
from asymroute.learning.embedding_trainer import train_on_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_MODEL)
    parser.add_argument(
        "--blend-learned",
        action="store_true",
        help="search blends with a learned part too (not the shipped file's grid)",
    )
    args = parser.parse_args()
    data = load_all()
    rows = rows_of(data, vectors_for(data.prompts, args.cache))
    grid = BLEND_CANDIDATES if args.blend_learned else CANDIDATES
    model = train_on_rows(rows, everyday_rows(EMBEDDER), EMBEDDER, grid)
    files = csv_files([path for path, _, _ in PAIRS])
    model.meta.update(
        {
            "pairs": [{"data": path.name, "weak": w, "strong": s} for path, w, s in PAIRS],
            "data_files": {
                f"{f.parent.name}/{f.name}": hashlib.sha256(f.read_bytes()).hexdigest()[:16]
                for f in files
            },
            "rows": len(data),
            "training_command": "python bench/train_embedding_default.py"
            + (" --blend-learned" if args.blend_learned else "")
            + ("" if args.output == DEFAULT_MODEL else f" -o {shlex.quote(str(args.output))}"),
        }
    )
    model.save(args.output)
    print(model.summary())
    print(f"wrote {args.output} ({args.output.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
