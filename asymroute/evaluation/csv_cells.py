"""Reading labeled-data CSV files: the rows, and each cell checked with a message naming
the file, line and column (shared by `datasets` and `prompts`)."""

from __future__ import annotations

import ast
import csv
import sys
from collections.abc import Generator
from pathlib import Path

from asymroute.errors import InvalidRequestError

TRUE_WORDS = frozenset({"true", "1", "1.0", "yes"})
FALSE_WORDS = frozenset({"false", "0", "0.0", "no"})


class DatasetError(InvalidRequestError):
    """Labeled data that cannot be used as asked; the message says what and where."""


def read_rows(path: Path) -> tuple[list[str], Generator[dict[str, str], None, None]]:
    csv.field_size_limit(sys.maxsize)
    handle = path.open(newline="", encoding="utf-8-sig")
    reader = csv.DictReader(handle)
    try:
        header = list(reader.fieldnames or [])
    except (csv.Error, UnicodeDecodeError) as exc:
        handle.close()
        raise DatasetError(f"{path}: not a readable CSV file ({exc})") from None
    if not header:
        handle.close()
        raise DatasetError(
            f"{path}: the file is empty (expected a CSV header with a prompt column)"
        )

    def rows() -> Generator[dict[str, str], None, None]:
        with handle:
            try:
                yield from reader
            except (csv.Error, UnicodeDecodeError) as exc:
                raise DatasetError(f"{path}: not a readable CSV file ({exc})") from None

    return header, rows()


def parse_bool(value: str, path: Path, line: int, column: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise DatasetError(f"{path}:{line}: column {column!r} must be True/False, got {value[:40]!r}")


def parse_score(value: str, path: Path, line: int, column: str) -> float | None:
    if not value.strip():
        return None
    try:
        score = float(value)
    except ValueError:
        raise DatasetError(
            f"{path}:{line}: column {column!r} must be a score in [0, 1], got {value[:40]!r}"
        ) from None
    if not 0.0 <= score <= 1.0:
        raise DatasetError(f"{path}:{line}: column {column!r} must be within [0, 1], got {score}")
    return score


def parse_cost(value: str, path: Path, line: int, column: str) -> float:
    try:
        cost = float(value) if value.strip() else 0.0
    except ValueError:
        raise DatasetError(
            f"{path}:{line}: column {column!r} must be a cost in USD, got {value[:40]!r}"
        ) from None
    return cost


def clean_prompt(prompt: str) -> str:
    """RouterBench stores some prompts as a Python list of turns; use their text."""
    text = prompt.strip()
    if text.startswith(("['", '["')) and text.endswith(("']", '"]')):
        try:
            turns = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return prompt
        if isinstance(turns, list) and all(isinstance(t, str) for t in turns):
            return "\n".join(turns)
    return prompt
