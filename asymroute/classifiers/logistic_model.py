"""The learned router's model: L2 logistic regression over `features`, saved as one JSON file.

File format (`"format": "asymroute-logistic/1"`): the feature spec, the bias, the structural
columns' mean and scale, the weights as base64 of zlib-compressed little-endian float32, the
word-rarity `vocabulary` (or null), and provenance (`weak`, `strong`, `target`, `rows`,
`recipe`, `inner_cv_apgr`, `training_command`).
`LogisticModel.load(path)` validates all of it and raises `ModelFileError` (a
`ConfigurationError`) naming the file and the problem.
"""

from __future__ import annotations

import base64
import math
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from asymroute.classifiers.features import FeatureSpec, Vocabulary, extract
from asymroute.errors import ConfigurationError
from asymroute.json_files import inner_cv_phrase, read_router_file, write_json_file

FILE_FORMAT = "asymroute-logistic/1"
FloatArray = npt.NDArray[np.float64]


class ModelFileError(ConfigurationError):
    """A router file that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Contribution:
    name: str
    weight: float


@dataclass
class LogisticModel:
    spec: FeatureSpec
    weights: FloatArray
    bias: float
    structural_mean: FloatArray
    structural_scale: FloatArray
    meta: dict[str, Any] = field(default_factory=dict)
    vocabulary: Vocabulary | None = None
    """Word rarity table for the `idf_*` features; None when the spec does not use them."""

    def logit(self, prompt: str) -> float:
        indices, values, _ = extract(prompt, self.spec, self.vocabulary)
        return self._logit(indices, values)

    def _logit(self, indices: list[int], values: list[float]) -> float:
        n_struct = len(self.spec.structural)
        split = len(indices) - n_struct
        raw = np.asarray(values)
        raw[split:] = (raw[split:] - self.structural_mean) / self.structural_scale
        return float(self.weights[indices] @ raw) + self.bias

    def probability(self, prompt: str) -> float:
        return _sigmoid(self.logit(prompt))

    def explain(self, prompt: str, top: int = 3) -> tuple[float, list[Contribution]]:
        """The probability and the features that pushed it most (either way)."""
        # Names are only needed for the top features; hashed n-grams need them from `extract`.
        with_names = self.spec.hashes_words
        indices, values, names = extract(prompt, self.spec, self.vocabulary, with_names=with_names)
        split = len(indices) - len(self.spec.structural)
        standard = np.asarray(values)
        standard[split:] = (standard[split:] - self.structural_mean) / self.structural_scale
        contributions = self.weights[indices] * standard
        probability = _sigmoid(float(contributions.sum()) + self.bias)
        strongest = np.argsort(-np.abs(contributions))[:top]
        if not with_names:
            dense = self.spec.structural
            names = [
                f"{dense[i - split]}={values[i]:.2f}" if i >= split else "?"
                for i in range(len(indices))
            ]
        return probability, [Contribution(names[i], float(contributions[i])) for i in strongest]

    # --- file format -------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        packed = zlib.compress(self.weights.astype("<f4").tobytes(), 9)
        return {
            "format": FILE_FORMAT,
            "spec": self.spec.as_json(),
            "bias": _stable(self.bias),
            "structural_mean": [_stable(x) for x in self.structural_mean],
            "structural_scale": [_stable(x) for x in self.structural_scale],
            "weights_f32_zlib_b64": base64.b64encode(packed).decode("ascii"),
            "vocabulary": self.vocabulary.as_json() if self.vocabulary else None,
            "meta": self.meta,
        }

    def save(self, path: str | Path) -> None:
        write_json_file(path, self.to_json(), what="router file", error=ModelFileError)

    def summary(self) -> str:
        meta = self.meta
        recipe = meta.get("recipe", "?")
        fit = inner_cv_phrase(meta, recipe)
        return (
            f"logistic router: {meta.get('rows', '?')} rows, recipe {recipe} ({fit}), "
            f"weak {meta.get('weak', '?')!r}, strong {meta.get('strong', '?')!r}"
        )

    @classmethod
    def load(cls, path: str | Path) -> LogisticModel:
        file = Path(path)
        data = read_router_file(
            file,
            FILE_FORMAT,
            kind="an asymroute router",
            train_hint="asymroute train",
            error=ModelFileError,
        )
        return cls.from_json(data, file)

    @classmethod
    def from_json(cls, data: dict[str, Any], file: Path) -> LogisticModel:
        """The model in `data` (a file's JSON, or the part of one), `file` named in errors."""
        try:
            spec = FeatureSpec.from_json(data["spec"])
            raw = zlib.decompress(base64.b64decode(data["weights_f32_zlib_b64"]))
            weights = np.frombuffer(raw, dtype="<f4").astype(np.float64)
            mean = np.array(data["structural_mean"], dtype=float)
            scale = np.array(data["structural_scale"], dtype=float)
            bias = float(data["bias"])
            vocabulary = (
                Vocabulary.from_json(data["vocabulary"]) if data.get("vocabulary") else None
            )
        except (KeyError, TypeError, ValueError, zlib.error) as exc:
            raise ModelFileError(f"router file {file} is damaged: {exc}") from None
        if len(weights) != spec.size or len(mean) != len(spec.structural) != len(scale):
            raise ModelFileError(f"router file {file} is damaged: sizes do not match its spec")
        if not (np.all(np.isfinite(weights)) and np.all(scale > 0) and math.isfinite(bias)):
            raise ModelFileError(f"router file {file} is damaged: non-finite weights")
        return cls(spec, weights, bias, mean, scale, dict(data.get("meta") or {}), vocabulary)


def _stable(x: float) -> float:
    """12 significant digits: retraining gives a byte-identical file (NumPy's summation order
    may move the last bit of a float64 between runs)."""
    return float(f"{float(x):.12g}")


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)
