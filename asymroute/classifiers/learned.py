"""A logistic model over prompt features, trained on labeled routing data (the default).

`learned` uses the weights shipped in `asymroute/classifiers/weights/learned_default.json`
(dense features only, trained on RouteLLM's GSM8K + MMLU responses plus the hand-written
anchors of `asymroute.learning.anchors`, recipe chosen by inner cross-validation; see that
file's `meta`, which holds the exact training command); `learned:PATH` uses a
file written by `asymroute train ... -o PATH`. Files are loaded once and cached by path,
modification time and size, so a retrained file is picked up without a restart and every
request after the first costs only the scoring (pure Python + NumPy, no model server).

The score is the model's output in [0, 1], higher where the strong model is expected to gain
more over the weak one; the shipped weights put 0.5 at the 75th percentile of their training
prompts (see `prompt_trainer`). The reasons name the features that moved it most.
"""

from __future__ import annotations

import functools
from pathlib import Path

from asymroute.classifiers.base import ComplexityScore
from asymroute.classifiers.logistic_model import LogisticModel
from asymroute.errors import ConfigurationError

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "learned_default.json"
EXPLAINED_FEATURES = 3


@functools.lru_cache(maxsize=16)
def _load_cached(path: str, mtime_ns: int, size: int) -> LogisticModel:
    return LogisticModel.load(path)


def load_model(path: str | Path) -> LogisticModel:
    """The model in `path`, reloaded only when the file changes."""
    file = Path(path).expanduser()
    try:
        stat = file.resolve().stat()
    except OSError:
        raise ConfigurationError(
            f"router file {file} does not exist; train one with "
            "`asymroute train DATA --weak COL --strong COL -o FILE`"
        ) from None
    if not file.is_file():
        raise ConfigurationError(f"router file {file} is not a file")
    return _load_cached(str(file.resolve()), stat.st_mtime_ns, stat.st_size)


class LearnedClassifier:
    """Scores with a trained logistic model; `model_file` None means the shipped default."""

    def __init__(self, model_file: str | Path | None = None) -> None:
        self.name = "learned" if model_file is None else f"learned:{model_file}"
        self.model = load_model(model_file if model_file is not None else DEFAULT_WEIGHTS)

    def score(self, prompt: str) -> ComplexityScore:
        probability, top = self.model.explain(prompt, EXPLAINED_FEATURES)
        reasons = [f"learned score {probability:.3f}"]
        reasons.extend(f"{c.name} ({c.weight:+.2f})" for c in top if abs(c.weight) >= 0.01)
        return ComplexityScore(min(max(round(probability, 4), 0.0), 1.0), tuple(reasons))

    def score_value(self, prompt: str) -> float:
        """Only the number, without building reasons (for bulk evaluation)."""
        return self.model.probability(prompt)
