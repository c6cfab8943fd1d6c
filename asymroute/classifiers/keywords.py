"""The seed's rule, kept as a baseline: any of a few verbs means complex."""

from __future__ import annotations

import re

from asymroute.classifiers.base import ComplexityScore

COMPLEX_KEYWORDS = ("refactor", "optimize", "analyze", "debug")
_KEYWORD_PATTERN = re.compile(r"\b(" + "|".join(COMPLEX_KEYWORDS) + r")\w*", re.IGNORECASE)


class KeywordClassifier:
    name = "keywords"

    def score(self, prompt: str) -> ComplexityScore:
        found = sorted({m.group(1).lower() for m in _KEYWORD_PATTERN.finditer(prompt)})
        if found:
            return ComplexityScore(1.0, tuple(f"keyword: {word}" for word in found))
        return ComplexityScore(0.0, ("no complex keyword",))
