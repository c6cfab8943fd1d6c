"""The learned answer scorer: P(the local answer is wrong) from prompt + answer features.

A dense L2 logistic regression over `answer_features.ANSWER_FEATURES`, saved as one JSON file
(`"format": "asymroute-answer-scorer/1"`): the feature names (checked against the code's on
load, so a file from another feature version is refused rather than misread), the standardising
mean and scale, the weights, the bias and provenance (`rows`, `trained_on`, `weak`, `l2`).

The package ships one trained on the RouteLLM GSM8K file (Mixtral-8x7B answers);
`load_answer_scorer(None)` returns it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from asymroute.errors import ConfigurationError
from asymroute.json_files import read_json_file, write_json_file
from asymroute.validators.answer_features import ANSWER_FEATURES, answer_features

FILE_FORMAT = "asymroute-answer-scorer/1"
SHIPPED_FILE = "answer_scorer_gsm8k.json"
FloatArray = npt.NDArray[np.float64]


class AnswerScorerFileError(ConfigurationError):
    """An answer-scorer file that cannot be used; the message names the file and the problem."""


@dataclass
class AnswerScorer:
    weights: FloatArray
    bias: float
    mean: FloatArray
    scale: FloatArray
    meta: dict[str, Any] = field(default_factory=dict)

    def logits(self, rows: FloatArray) -> FloatArray:
        return np.asarray(((rows - self.mean) / self.scale) @ self.weights + self.bias, dtype=float)

    def probability_wrong(self, prompt: str, answer: str) -> float:
        row = np.asarray([answer_features(prompt, answer)], dtype=float)
        return _sigmoid(float(self.logits(row)[0]))

    def explain(self, prompt: str, answer: str, top: int = 3) -> list[tuple[str, float]]:
        """The features that pushed P(wrong) most, with their logit contributions."""
        row = (np.asarray(answer_features(prompt, answer)) - self.mean) / self.scale
        contributions = row * self.weights
        order = np.argsort(-np.abs(contributions))[:top]
        return [(ANSWER_FEATURES[i], float(contributions[i])) for i in order]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FILE_FORMAT,
            "features": list(ANSWER_FEATURES),
            "mean": [float(x) for x in self.mean],
            "scale": [float(x) for x in self.scale],
            "weights": [float(x) for x in self.weights],
            "bias": self.bias,
            "meta": self.meta,
        }

    def save(self, path: str | Path) -> None:
        write_json_file(path, self.to_json(), what="answer scorer", error=AnswerScorerFileError)

    def summary(self) -> str:
        meta = self.meta
        return (
            f"answer scorer: {meta.get('rows', '?')} rows, {len(self.weights)} features, "
            f"weak {meta.get('weak', '?')!r}, training log-loss "
            f"{meta.get('train_log_loss', float('nan')):.4f}"
        )

    @classmethod
    def from_json(cls, data: Any, where: str) -> AnswerScorer:
        if not isinstance(data, dict) or data.get("format") != FILE_FORMAT:
            raise AnswerScorerFileError(
                f"{where} is not an answer scorer (expected format {FILE_FORMAT!r}); "
                "train one with `asymroute train --target answer`"
            )
        if data.get("features") != list(ANSWER_FEATURES):
            raise AnswerScorerFileError(
                f"{where} was trained on other answer features than this version computes; "
                "retrain it with `asymroute train --target answer`"
            )
        try:
            weights = np.array(data["weights"], dtype=float)
            mean = np.array(data["mean"], dtype=float)
            scale = np.array(data["scale"], dtype=float)
            bias = float(data["bias"])
        except (KeyError, TypeError, ValueError) as exc:
            raise AnswerScorerFileError(f"{where} is damaged: {exc}") from None
        sizes = {len(weights), len(mean), len(scale), len(ANSWER_FEATURES)}
        finite = np.all(np.isfinite(weights)) and np.all(scale > 0) and math.isfinite(bias)
        if len(sizes) != 1 or not finite:
            raise AnswerScorerFileError(f"{where} is damaged: sizes or values are invalid")
        return cls(weights, bias, mean, scale, dict(data.get("meta") or {}))


@lru_cache(maxsize=8)
def load_answer_scorer(path: str | None) -> AnswerScorer:
    """A trained scorer file, or the shipped one when `path` is None (cached per path)."""
    if path is None:
        text = files("asymroute.validators").joinpath("weights", SHIPPED_FILE).read_text("utf-8")
        return AnswerScorer.from_json(json.loads(text), f"the shipped {SHIPPED_FILE}")
    file = Path(path).expanduser()
    data = read_json_file(file, what="answer scorer file", error=AnswerScorerFileError)
    return AnswerScorer.from_json(data, f"answer scorer file {file}")


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)
