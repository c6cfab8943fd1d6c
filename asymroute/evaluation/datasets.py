"""Labeled routing data: which of two models answered each prompt correctly (and at what cost).

Two CSV formats, told apart by the header:

- **RouteLLM**: `prompt`, one boolean column per model (`True`/`False`), optionally
  `<model>_response` with the model's answer. The group of a row is its file's stem
  (`mmlu_anatomy`, `gsm8k_responses`).
- **RouterBench wide**: `sample_id, prompt, eval_name`, per model a score column named by the
  model (0..1, correct when >= 0.5), `<model>|model_response` and `<model>|total_cost` (USD),
  plus `oracle_model_to_route_to`. A row whose weak or strong score is empty is skipped and
  counted. The group of a row is its `eval_name`.

Interface (stable, used by the evaluator, the trainers and the cascade evaluator):

    data = load_labeled(["data/", "more.csv"], weak="mixtral", strong="gpt-4")
    data.prompts, data.weak_correct, data.strong_correct     # list[str], bool arrays
    data.weak_responses, data.weak_cost, data.strong_cost    # None when the files lack them
    data.groups, data.sources, data.skipped, data.models     # per-row group/file, counts, names

Paths may be files or directories (every `*.csv` below them, sorted). Several files are read
together; they must share the two chosen models. Every problem with the input raises
`DatasetError` (an `InvalidRequestError`, so the CLI prints one line and exits 2).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from asymroute.evaluation.csv_cells import (
    DatasetError,
    clean_prompt,
    parse_bool,
    parse_cost,
    parse_score,
    read_rows,
)

Format = Literal["routellm", "routerbench"]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

ROUTERBENCH_META = frozenset({"sample_id", "prompt", "eval_name", "oracle_model_to_route_to"})
RESPONSE_SUFFIX = "|model_response"
COST_SUFFIX = "|total_cost"
CORRECT_SCORE = 0.5


@dataclass(frozen=True)
class LabeledData:
    """Rows where both models were graded; arrays are aligned with `prompts`."""

    prompts: list[str]
    weak_correct: BoolArray
    strong_correct: BoolArray
    weak: str
    strong: str
    weak_responses: list[str] | None
    strong_responses: list[str] | None
    weak_cost: FloatArray | None
    strong_cost: FloatArray | None
    groups: list[str]
    sources: list[str]
    skipped: int
    models: tuple[str, ...]
    format: Format

    def __len__(self) -> int:
        return len(self.prompts)

    @property
    def weak_accuracy(self) -> float:
        return float(self.weak_correct.mean())

    @property
    def strong_accuracy(self) -> float:
        return float(self.strong_correct.mean())

    def subset(self, mask: Sequence[bool] | BoolArray) -> LabeledData:
        """The rows where `mask` is true (for train/eval splits)."""
        keep = np.asarray(mask, dtype=bool)
        index = np.flatnonzero(keep)

        def pick(values: list[str] | None) -> list[str] | None:
            return None if values is None else [values[i] for i in index]

        return LabeledData(
            prompts=[self.prompts[i] for i in index],
            weak_correct=self.weak_correct[keep],
            strong_correct=self.strong_correct[keep],
            weak=self.weak,
            strong=self.strong,
            weak_responses=pick(self.weak_responses),
            strong_responses=pick(self.strong_responses),
            weak_cost=None if self.weak_cost is None else self.weak_cost[keep],
            strong_cost=None if self.strong_cost is None else self.strong_cost[keep],
            groups=[self.groups[i] for i in index],
            sources=[self.sources[i] for i in index],
            skipped=0,
            models=self.models,
            format=self.format,
        )


def csv_files(paths: Iterable[str | Path]) -> list[Path]:
    """Every CSV named or found under the given paths, in a stable order."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.csv") if p.is_file())
            if not found:
                raise DatasetError(f"no *.csv files under directory {path}")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise DatasetError(f"no such file or directory: {path}")
    if not files:
        raise DatasetError("no data files given")
    return files


def detect_format(header: Sequence[str]) -> Format:
    """RouterBench when the header has its meta or `|` columns, RouteLLM otherwise."""
    columns = set(header)
    if (
        any(c.endswith((RESPONSE_SUFFIX, COST_SUFFIX)) for c in columns)
        or {
            "sample_id",
            "eval_name",
        }
        <= columns
    ):
        return "routerbench"
    return "routellm"


def model_columns(header: Sequence[str], fmt: Format) -> tuple[str, ...]:
    """The model names a header carries, in header order."""
    if fmt == "routerbench":
        return tuple(c for c in header if c not in ROUTERBENCH_META and "|" not in c)
    names = [c for c in header if c != "prompt"]
    return tuple(
        c for c in names if not (c.endswith("_response") and c[: -len("_response")] in names)
    )


def list_models(paths: Iterable[str | Path]) -> tuple[str, ...]:
    """Model names present in every file (for choosing --weak/--strong)."""
    common: list[str] | None = None
    for path in csv_files(paths):
        header, rows = read_rows(path)
        rows.close()
        names = model_columns(header, detect_format(header))
        common = list(names) if common is None else [n for n in common if n in names]
    return tuple(common or ())


def _check_models(path: Path, available: Sequence[str], weak: str, strong: str) -> None:
    if not available:
        raise DatasetError(
            f"{path}: no model columns found; expected a prompt column plus one True/False "
            "column per model (RouteLLM) or per-model score columns (RouterBench)"
        )
    for role, name in (("--weak", weak), ("--strong", strong)):
        if name not in available:
            raise DatasetError(
                f"{path}: unknown {role} model {name!r}; available: {', '.join(available)}"
            )
    if weak == strong:
        raise DatasetError(f"--weak and --strong are the same model {weak!r}; choose two")


@dataclass
class _Columns:
    prompts: list[str]
    weak_ok: list[bool]
    strong_ok: list[bool]
    weak_resp: list[str]
    strong_resp: list[str]
    weak_cost: list[float]
    strong_cost: list[float]
    groups: list[str]
    sources: list[str]


def load_labeled(
    paths: Iterable[str | Path],
    weak: str,
    strong: str,
    *,
    require_gap: bool = True,
) -> LabeledData:
    """Read the files, keep rows graded for both models, check the pair is usable.

    `require_gap` rejects a weak and strong model of equal accuracy (APGR is undefined).
    """
    files = csv_files(paths)
    cols = _Columns([], [], [], [], [], [], [], [], [])
    formats: set[Format] = set()
    models: tuple[str, ...] = ()
    has_resp = {"weak": True, "strong": True}
    has_cost = True
    skipped = 0
    for path in files:
        header, rows = read_rows(path)
        fmt = detect_format(header)
        formats.add(fmt)
        available = model_columns(header, fmt)
        models = models or available
        if "prompt" not in header:
            rows.close()
            raise DatasetError(f"{path}: missing the 'prompt' column; columns: {', '.join(header)}")
        _check_models(path, available, weak, strong)
        routerbench = fmt == "routerbench"
        resp_col = {
            role: f"{name}{RESPONSE_SUFFIX}" if routerbench else f"{name}_response"
            for role, name in (("weak", weak), ("strong", strong))
        }
        for role in has_resp:
            has_resp[role] = has_resp[role] and resp_col[role] in header
        cost_cols = (f"{weak}{COST_SUFFIX}", f"{strong}{COST_SUFFIX}")
        has_cost = has_cost and routerbench and all(c in header for c in cost_cols)
        before, skipped_before = len(cols.prompts), skipped
        for line, row in enumerate(rows, start=2):
            if routerbench:
                ws = parse_score(row[weak] or "", path, line, weak)
                ss = parse_score(row[strong] or "", path, line, strong)
                if ws is None or ss is None:
                    skipped += 1
                    continue
                w_ok, s_ok = ws >= CORRECT_SCORE, ss >= CORRECT_SCORE
            else:
                w_ok = parse_bool(row[weak] or "", path, line, weak)
                s_ok = parse_bool(row[strong] or "", path, line, strong)
            cols.prompts.append(clean_prompt(row["prompt"] or ""))
            cols.weak_ok.append(w_ok)
            cols.strong_ok.append(s_ok)
            cols.weak_resp.append(row.get(resp_col["weak"]) or "")
            cols.strong_resp.append(row.get(resp_col["strong"]) or "")
            if has_cost:
                cols.weak_cost.append(parse_cost(row[cost_cols[0]] or "", path, line, cost_cols[0]))
                cols.strong_cost.append(
                    parse_cost(row[cost_cols[1]] or "", path, line, cost_cols[1])
                )
            group = (row.get("eval_name") or path.stem) if routerbench else path.stem
            cols.groups.append(group)
            cols.sources.append(str(path))
        if len(cols.prompts) == before and skipped == skipped_before:
            raise DatasetError(f"{path}: no data rows (only a header)")
    if not cols.prompts:
        raise DatasetError(
            f"no usable rows: all {skipped} rows lack a score for {weak!r} or {strong!r}"
        )
    data = LabeledData(
        prompts=cols.prompts,
        weak_correct=np.array(cols.weak_ok, dtype=bool),
        strong_correct=np.array(cols.strong_ok, dtype=bool),
        weak=weak,
        strong=strong,
        weak_responses=cols.weak_resp if has_resp["weak"] else None,
        strong_responses=cols.strong_resp if has_resp["strong"] else None,
        weak_cost=np.array(cols.weak_cost, dtype=float) if has_cost else None,
        strong_cost=np.array(cols.strong_cost, dtype=float) if has_cost else None,
        groups=cols.groups,
        sources=cols.sources,
        skipped=skipped,
        models=models,
        format="routerbench" if formats == {"routerbench"} else "routellm",
    )
    if require_gap and data.weak_accuracy == data.strong_accuracy:
        raise DatasetError(
            f"{weak!r} and {strong!r} have the same accuracy ({data.weak_accuracy:.3f}) on these "
            f"{len(data)} rows, so routing between them cannot gain anything; choose another pair"
        )
    return data
