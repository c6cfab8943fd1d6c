"""Classifiers by name; add one by writing a file and registering its factory here.

Layer: the floor's extension points; classifiers import embedders, `settings` and the data
modules below them, never `learning` (which trains their model files) or anything above.
"""

from __future__ import annotations

from collections.abc import Callable

from asymroute.classifiers.base import Classifier, ComplexityScore
from asymroute.classifiers.embedding import EmbeddingClassifier
from asymroute.classifiers.heuristic import HeuristicClassifier
from asymroute.classifiers.keywords import KeywordClassifier
from asymroute.classifiers.learned import LearnedClassifier
from asymroute.errors import ConfigurationError

CLASSIFIERS: dict[str, Callable[[], Classifier]] = {
    "embedding": EmbeddingClassifier,
    "heuristic": HeuristicClassifier,
    "keywords": KeywordClassifier,
    "learned": LearnedClassifier,
}
FILE_CLASSIFIERS: dict[str, Callable[[str], Classifier]] = {
    "embedding": EmbeddingClassifier,
    "learned": LearnedClassifier,
}
"""Classifiers that also take `name:PATH`, a model file of their own (learned:router.json)."""


def get_classifier(name: str) -> Classifier:
    if isinstance(name, str) and ":" in name:
        kind, _, path = name.partition(":")
        if kind in FILE_CLASSIFIERS and path:
            return FILE_CLASSIFIERS[kind](path)
        raise ConfigurationError(
            f"unknown classifier {name!r}; only {', '.join(sorted(FILE_CLASSIFIERS))} take a "
            "model file (NAME:PATH)"
        )
    try:
        factory = CLASSIFIERS[name]
    except (KeyError, TypeError):
        raise ConfigurationError(
            f"unknown classifier {name!r}; choose one of: {', '.join(sorted(CLASSIFIERS))}"
        ) from None
    return factory()


__all__ = ["CLASSIFIERS", "Classifier", "ComplexityScore", "get_classifier"]
