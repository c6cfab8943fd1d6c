"""Unlabeled prompts (for `asymroute calibrate`): CSV, JSONL or plain text files."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from asymroute.evaluation.csv_cells import DatasetError, clean_prompt, read_rows


def load_prompts(paths: Iterable[str | Path]) -> list[str]:
    """Unlabeled prompts for calibration: CSV `prompt` columns, JSONL `prompt` fields, or text.

    A `.txt` (or any other) file holds one prompt per non-empty line.
    """
    paths = list(paths)
    prompts: list[str] = []
    for raw in paths:
        path = Path(raw)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if not file.is_file():
                raise DatasetError(f"no such file or directory: {file}")
            if file.suffix == ".csv":
                header, rows = read_rows(file)
                if "prompt" not in header:
                    rows.close()
                    raise DatasetError(
                        f"{file}: missing the 'prompt' column; columns: {', '.join(header)}"
                    )
                prompts.extend(clean_prompt(row["prompt"] or "") for row in rows)
            elif file.suffix in (".jsonl", ".ndjson"):
                for line, text in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
                    if not text.strip():
                        continue
                    try:
                        record = json.loads(text)
                        prompts.append(str(record["prompt"]))
                    except (json.JSONDecodeError, KeyError, TypeError):
                        raise DatasetError(
                            f"{file}:{line}: expected a JSON object with a 'prompt' field"
                        ) from None
            else:
                text = file.read_text(encoding="utf-8", errors="replace")
                prompts.extend(line for line in text.splitlines() if line.strip())
    if not prompts:
        raise DatasetError("no prompts found in " + ", ".join(str(p) for p in paths))
    return prompts
