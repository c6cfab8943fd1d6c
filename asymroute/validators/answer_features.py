"""Answer features for the learned answer scorer: signals that a local answer is wrong.

`answer_features(prompt, answer)` returns a fixed-order vector (`ANSWER_FEATURES` names each
column). The signals come from how math-word-problem answers go wrong, but none is specific to
one dataset's format beyond recognising the common final-answer markers (`#### 42`,
`The answer is 42`, `\\boxed{42}`):

- the final answer: is there a clear one, is it a plain number, its magnitude and form;
- internal arithmetic: every `a op b = c` and `<<expr=c>>` in the answer is re-evaluated and
  mismatches counted; the last computed value is compared with the stated final answer;
- coverage: how many of the question's numbers the answer uses, whether the final answer just
  copies a number from the question;
- hedging and self-correction words, length relative to the question, number of steps;
- whether the answer fits the question (`answer_fit`: the last step's operation against what
  is asked, unit conversions never made, looping text, ...), appended after these.

Pure Python (the scorer runs inside the `validate` node on every local answer).
"""

from __future__ import annotations

import math
import re

from asymroute.validators.answer_fit import ANSWER_FIT_FEATURES, answer_fit_features

NUMBER = re.compile(r"(?<![\w.])-?\$?\d[\d,]*(?:\.\d+)?(?:/\d+(?:\.\d+)?)?")
FINAL_MARKERS = (
    re.compile(r"####\s*(.*)$", re.M),
    re.compile(r"\\boxed\{([^{}]*)\}"),
    re.compile(r"(?:final answer|the answer)\s*(?:is|=|:)\s*:?\s*(.{0,60})", re.I),
)
# `<<2*3=6>>` annotations and plain `2 * 3 = 6` lines; operands may carry $ and commas.
ANNOTATION = re.compile(r"<<([^<>=]+)=([^<>]+)>>")
OPERAND = r"\$?\d[\d,]*(?:\.\d+)?%?"
INLINE_EQUATION = re.compile(
    rf"((?:\(?\s*{OPERAND}\s*\)?\s*[-+*/x×÷]\s*)+\(?\s*{OPERAND}\s*\)?)\s*=\s*\$?\s*(?:<<[^<>]*>>)?\s*\$?(-?\d[\d,]*(?:\.\d+)?)"
)
HEDGES = re.compile(
    r"\b(approximately|about|around|roughly|assum\w*|estimate\w*|unclear|ambiguous|"
    r"not (?:possible|enough|sure|clear)|cannot|can't|however|but since|actually|wait|"
    r"mistake|error|re-?calculate|let me|round(?:ed|ing)?|nearest|impossible|"
    r"doesn't make sense|does not make sense|incorrect|oops|sorry)\b",
    re.I,
)
ANSWER_FEATURES = (
    "has_final_marker",
    "final_is_plain_number",
    "final_has_trailing_words",
    "final_missing",
    "ends_without_final",
    "log_final_magnitude",
    "final_is_fraction_or_decimal",
    "final_is_negative",
    "final_in_question",
    "final_matches_last_computed",
    "final_among_computed",
    "arithmetic_checks",
    "arithmetic_mismatches",
    "arithmetic_mismatch_share",
    "hedges",
    "log_answer_words",
    "answer_to_question_length",
    "log_distinct_numbers",
    "question_numbers_unused_share",
    "log_question_words",
    "log_question_numbers",
    "question_has_percent",
    "question_has_fraction",
    "log_steps",
    "multiple_final_markers",
    "mentions_units_conversion",
    "final_has_decimal_point",
    "chained_equals_lines",
    "question_word_numbers_unused",
    *ANSWER_FIT_FEATURES,
)
MAX_EXPRESSION_CHARS = 120


def answer_features(prompt: str, answer: str) -> list[float]:
    """One row of `ANSWER_FEATURES`, in order."""
    text = answer.strip()
    final_raw = final_answer_text(text)
    final = parse_number(final_raw) if final_raw is not None else None
    computed = computed_values(text)
    checks, mismatches = arithmetic_consistency(text)
    question_number_list = [
        n for n in (parse_number(m) for m in NUMBER.findall(prompt)) if n is not None
    ]
    question_numbers = set(question_number_list)
    answer_numbers = {n for n in (parse_number(m) for m in NUMBER.findall(text)) if n is not None}
    question_words_numbers = word_numbers(prompt) - question_numbers
    unused = [n for n in question_numbers if n not in answer_numbers]
    answer_words = len(text.split())
    question_words = max(len(prompt.split()), 1)
    last_line = text.splitlines()[-1] if text else ""
    return [
        float(final_raw is not None),
        float(final is not None and _is_plain_number(final_raw or "")),
        float(final_raw is not None and final is not None and not _is_plain_number(final_raw)),
        float(final is None),
        float(final_raw is None and not re.search(r"[.!?)]\s*$", last_line)),
        math.log10(1.0 + abs(final)) if final is not None else 0.0,
        float(final is not None and not float(final).is_integer()),
        float(final is not None and final < 0),
        float(final is not None and final in question_numbers),
        float(final is not None and bool(computed) and _close(computed[-1], final)),
        float(final is not None and any(_close(value, final) for value in computed)),
        math.log1p(checks),
        math.log1p(mismatches),
        mismatches / checks if checks else 0.0,
        math.log1p(len(HEDGES.findall(text))),
        math.log1p(answer_words),
        math.log((1.0 + answer_words) / question_words),
        math.log1p(len(answer_numbers)),
        len(unused) / len(question_numbers) if question_numbers else 0.0,
        math.log(question_words),
        math.log1p(len(question_numbers)),
        float("%" in prompt or "percent" in prompt.lower()),
        float(bool(re.search(r"\b\d+/\d+\b|\bhalf\b|\bthird\b|\bquarter\b", prompt))),
        math.log1p(sum(1 for line in text.splitlines() if line.strip())),
        float(len(FINAL_MARKERS[0].findall(text)) > 1),
        float(
            bool(re.search(r"\b(minutes?|hours?|seconds?|cents?|dozens?|weeks?|months?)\b", prompt))
        ),
        float(final_raw is not None and bool(re.search(r"\d\.\d", final_raw))),
        math.log1p(sum(1 for line in _strip_annotations(text).splitlines() if line.count("=") > 1)),
        float(len(question_words_numbers - answer_numbers)),
        *answer_fit_features(
            prompt,
            text,
            final,
            question_number_list,
            len(question_numbers) + len(word_numbers(prompt)),
            *last_equation(text),
        ),
    ]


WORD_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
    "thousand": 1000,
    "twice": 2,
    "double": 2,
    "triple": 3,
    "half": 2,
    "third": 3,
    "quarter": 4,
    "dozen": 12,
}


def word_numbers(text: str) -> set[float]:
    words = re.findall(r"[a-z]+", text.lower())
    return {float(WORD_NUMBERS[w]) for w in words if w in WORD_NUMBERS}


def _strip_annotations(text: str) -> str:
    return ANNOTATION.sub("", text)


def final_answer_text(text: str) -> str | None:
    """The stated final answer (after the last marker), or None when there is no marker."""
    for marker in FINAL_MARKERS:
        found = marker.findall(text)
        if found:
            return str(found[-1]).strip()
    return None


def parse_number(raw: str) -> float | None:
    """The first number in `raw` ($, commas and % allowed; `a/b` read as a fraction)."""
    match = NUMBER.search(raw)
    if match is None:
        return None
    token = match.group(0).replace("$", "").replace(",", "")
    try:
        if "/" in token:
            top, bottom = token.split("/", 1)
            return float(top) / float(bottom) if float(bottom) else None
        return float(token)
    except ValueError:
        return None


def computed_values(text: str) -> list[float]:
    """The right-hand sides of the answer's equations, in order of appearance."""
    values: list[tuple[int, float]] = []
    for match in ANNOTATION.finditer(text):
        value = parse_number(match.group(2))
        if value is not None:
            values.append((match.start(), value))
    for match in INLINE_EQUATION.finditer(text):
        value = parse_number(match.group(2))
        if value is not None:
            values.append((match.start(), value))
    return [value for _, value in sorted(values)]


def last_equation(text: str) -> tuple[str | None, int]:
    """(left-hand side of the answer's last equation or None, how many equations it has)."""
    found = [(m.start(), m.group(1)) for m in ANNOTATION.finditer(text)]
    found += [(m.start(), m.group(1)) for m in INLINE_EQUATION.finditer(text)]
    return (max(found)[1] if found else None), len(found)


def arithmetic_consistency(text: str) -> tuple[int, int]:
    """(equations re-evaluated, equations whose stated result is wrong)."""
    checks = mismatches = 0
    expressions = [(m.group(1), m.group(2)) for m in ANNOTATION.finditer(text)]
    expressions += [(m.group(1), m.group(2)) for m in INLINE_EQUATION.finditer(text)]
    for expression, stated in expressions:
        expected = safe_eval(expression)
        result = parse_number(stated)
        if expected is None or result is None:
            continue
        checks += 1
        if not _close(expected, result, relative=0.01, absolute=0.011):
            mismatches += 1
    return checks, mismatches


SAFE_EXPRESSION = re.compile(r"^[\d\s.+\-*/()%]+$")


def safe_eval(expression: str) -> float | None:
    """Evaluate plain arithmetic (digits, + - * / %, parentheses), or None if it is not that."""
    cleaned = (
        expression.replace("$", "")
        .replace(",", "")
        .replace("×", "*")
        .replace("÷", "/")
        .replace("\\", "")
    )
    cleaned = re.sub(r"(?<=\d)\s*x\s*(?=[\d(])", "*", cleaned)
    cleaned = re.sub(r"(\d+(?:\.\d+)?)%", r"(\1/100)", cleaned)
    if len(cleaned) > MAX_EXPRESSION_CHARS or not SAFE_EXPRESSION.match(cleaned):
        return None
    if "**" in cleaned or re.search(r"\d\s+\d", cleaned):
        return None
    try:
        value = eval(cleaned, {"__builtins__": {}}, {})
    except (SyntaxError, ZeroDivisionError, TypeError, ValueError, OverflowError):
        return None
    return float(value) if isinstance(value, int | float) else None


def _is_plain_number(raw: str) -> bool:
    return bool(re.fullmatch(r"\$?\s*-?\d[\d,]*(?:\.\d+)?\s*\.?", raw.strip()))


def _close(a: float, b: float, relative: float = 1e-6, absolute: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=relative, abs_tol=absolute)
