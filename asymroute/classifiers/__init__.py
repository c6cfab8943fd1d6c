"""Classifiers by name; add one by writing a file and registering its factory here."""

from __future__ import annotations

from collections.abc import Callable

from asymroute.classifiers.base import Classifier, ComplexityScore
from asymroute.classifiers.heuristic import HeuristicClassifier
from asymroute.classifiers.keywords import KeywordClassifier
from asymroute.errors import ConfigurationError

CLASSIFIERS: dict[str, Callable[[], Classifier]] = {
    "heuristic": HeuristicClassifier,
    "keywords": KeywordClassifier,
}


def get_classifier(name: str) -> Classifier:
    try:
        factory = CLASSIFIERS[name]
    except (KeyError, TypeError):
        raise ConfigurationError(
            f"unknown classifier {name!r}; choose one of: {', '.join(sorted(CLASSIFIERS))}"
        ) from None
    return factory()


__all__ = ["CLASSIFIERS", "Classifier", "ComplexityScore", "get_classifier"]
