"""The shared benchmark prompts (../shared/data beside the clone), read where they are.

Their rows must not be copied into this repository (see shared/data/*/README.md), so tests and
benches that need real prompts read them here at run time and skip when they are absent.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = (PROJECT_ROOT.parent / "shared" / "data", Path("/work/shared/data"))
SETS = ("routellm", "routerbench")


def shared_data_dir() -> Path | None:
    """../shared/data beside the clone (CI), else the workplace's copy; None if neither."""
    for candidate in CANDIDATES:
        if all((candidate / name).is_dir() for name in SETS):
            return candidate
    return None


def benchmark_prompts(data: Path) -> Iterator[tuple[str, str]]:
    """(file name, prompt) for every row of every CSV under routellm/ and routerbench/."""
    csv.field_size_limit(10**8)
    for name in SETS:
        for path in sorted((data / name).rglob("*.csv")):
            with path.open(newline="", encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    yield path.name, row["prompt"]
