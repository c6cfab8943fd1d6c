"""Weighted prompt features combined into a logistic complexity score.

The weights are set by hand so that one strong signal (a demanding verb, a code block,
advanced math) or two weaker ones (reasoning, steps, constraints, length) cross 0.5;
a later, learned classifier replaces hand weights with fitted ones behind the same interface.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from asymroute.classifiers.base import ComplexityScore

BIAS = -1.8


def _words(*words: str) -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(words) + r")\b", re.IGNORECASE)


DEMANDING_VERBS = _words(
    r"analy[sz](e|es|ed|ing|is)",
    r"refactor\w*",
    r"optimi[sz](e|es|ed|ing|ation)",
    r"debug\w*",
    r"prove",
    r"derive",
    r"design",
    r"architect\w*",
    r"implement",
    r"diagnose",
    r"critique",
    r"formali[sz]e",
)
REASONING_VERBS = _words(
    r"explain why",
    r"compare",
    r"contrast",
    r"evaluate",
    r"justify",
    r"trade-?offs?",
    r"reason about",
    r"plan",
    r"assess",
    r"investigate",
    r"why does",
    r"how would",
)
ADVANCED_MATH = _words(
    r"integral",
    r"derivative",
    r"differentiate",
    r"integrate",
    r"theorem",
    r"lemma",
    r"eigen\w*",
    r"matrix",
    r"probability",
    r"expected value",
    r"equation",
    r"solve for",
    r"proof",
    r"polynomial",
    r"logarithm",
    r"modulo",
    r"combinatori\w*",
)
MATH_NOTATION = re.compile(r"\\(frac|int|sum|sqrt|lim|cdot)|\$[^$]+\$|[a-z]\s*\^\s*\d|∫|∑|√")
CONSTRAINTS = _words(
    r"must",
    r"must not",
    r"should not",
    r"without using",
    r"at least",
    r"at most",
    r"no more than",
    r"exactly",
    r"ensure",
    r"constraints?",
    r"requirements?",
    r"complexity",
    r"thread-?safe",
    r"backwards?-compatible",
    r"edge cases?",
)
CODE_FENCE = re.compile(r"```|~~~")
# Anchored at line starts so a long prompt costs one pass, not one pass per character.
CODE_LINE = re.compile(
    r"^(?:[ \t]*(?:def |class |function |import |from \S+ import|#include|public |private |"
    r"return |for \(|if \(|while \(|SELECT |const |let |var )|[^\n]*[;{}][ \t]*$)",
    re.MULTILINE,
)
NUMBERED_STEP = re.compile(r"^\s*(\d+[.)]|[-*•])\s+\S", re.MULTILINE)
SEQUENCING = _words(r"step by step", r"first\b.*\bthen", r"and then", r"afterwards", r"finally")


@dataclass(frozen=True)
class Feature:
    name: str
    weight: float


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _matches(pattern: re.Pattern[str], text: str) -> list[str]:
    return sorted({m.group(0).lower() for m in pattern.finditer(text)})


class HeuristicClassifier:
    name = "heuristic"

    def score(self, prompt: str) -> ComplexityScore:
        logit = BIAS
        reasons: list[str] = []

        def add(weight: float, reason: str) -> None:
            nonlocal logit
            logit += weight
            reasons.append(f"{reason} ({weight:+.1f})")

        words = len(prompt.split())
        if words > 150:
            add(1.2, f"long prompt: {words} words")
        elif words > 60:
            add(0.6, f"medium prompt: {words} words")

        if demanding := _matches(DEMANDING_VERBS, prompt):
            add(1.9 + 0.3 * (len(demanding) - 1), "demanding task: " + ", ".join(demanding))
        if reasoning := _matches(REASONING_VERBS, prompt):
            add(min(0.9 + 0.3 * (len(reasoning) - 1), 1.5), "reasoning: " + ", ".join(reasoning))

        code_lines = len(CODE_LINE.findall(prompt))
        if CODE_FENCE.search(prompt) or code_lines >= 3:
            add(2.0, f"code: {code_lines} code-like lines")
        elif code_lines:
            add(0.4, f"code-like text: {code_lines} lines")

        if math_words := _matches(ADVANCED_MATH, prompt):
            add(min(2.0 + 0.3 * (len(math_words) - 1), 2.6), "math: " + ", ".join(math_words))
        if MATH_NOTATION.search(prompt):
            add(0.8, "math notation")

        steps = len(NUMBERED_STEP.findall(prompt))
        questions = prompt.count("?")
        if steps >= 2:
            add(min(0.4 * steps, 1.6), f"multi-step: {steps} listed items")
        if sequencing := _matches(SEQUENCING, prompt):
            add(0.6, "multi-step: " + ", ".join(sequencing))
        if questions >= 2:
            add(min(0.3 * questions, 1.2), f"multi-part: {questions} questions")

        if constraints := _matches(CONSTRAINTS, prompt):
            add(
                min(0.5 + 0.25 * (len(constraints) - 1), 1.5),
                "constraints: " + ", ".join(constraints),
            )

        if not reasons:
            reasons.append("no complexity signal")
        return ComplexityScore(round(_logistic(logit), 4), tuple(reasons))
