"""Answer-fits-the-question features: does the answer's shape match what the question asks?

The second block of the answer scorer's features (`answer_features` appends them). Where the
first block checks the answer against itself (arithmetic, final-answer form), these read the
question too, because a wrong math answer is often internally consistent but answers a
different question:

- the final answer's form and size: a fraction where the question counts things ("how
  many"), a magnitude far from the question's numbers;
- the last computed step's operation (+, −, ×, ÷), and a "how many more / left / difference"
  question whose last step does not subtract;
- too few steps for the question's numbers; looping text (low share of distinct words); an
  apology for rounding a non-integer result;
- unit conversions the question implies but the answer never makes (a week without 7, a year
  without 12/52/365, dozens without 12, a percentage never divided by 100);
- how involved the question is (multiplier words, conditional clauses).

Pure Python, like the rest of the scorer's features.
"""

from __future__ import annotations

import math
import re

ANSWER_FIT_FEATURES = (
    "final_not_integer_for_count",
    "log_final_to_largest_question_number",
    "last_step_subtracts",
    "last_step_adds",
    "last_step_multiplies",
    "last_step_divides",
    "question_asks_difference",
    "question_asks_per_item",
    "difference_without_subtraction",
    "log_steps_to_question_numbers",
    "distinct_word_share",
    "integer_rounding_excuse",
    "week_without_seven",
    "year_without_conversion",
    "dozen_without_twelve",
    "question_multiplier_words",
    "percent_without_conversion",
    "log_question_clauses",
)
ASKS_DIFFERENCE = re.compile(
    r"how (?:much|many) (?:more|less|fewer|longer|older|younger|taller)|difference|left|remain"
)
ASKS_PER_ITEM = re.compile(r"\beach\b|\bper\b|average|every")
OPERATOR = re.compile(r"(?<=[\d)\s])[-+*/×÷](?=[\s\d($])")
ROUNDING_EXCUSE = re.compile(
    r"\b(?:since|because) you can't|can't have (?:a )?(?:half|fraction)|whole number"
)
MULTIPLIER_WORDS = re.compile(r"\b(?:twice|double|triple|half|third|quarter|times)\b")
CLAUSE_WORDS = re.compile(r"\b(?:if|then|after|before|remaining|rest)\b")


def answer_fit_features(
    prompt: str,
    answer: str,
    final: float | None,
    question_numbers: list[float],
    question_quantities: int,
    last_expression: str | None,
    steps: int,
) -> list[float]:
    """One row of `ANSWER_FIT_FEATURES`. `final` is the stated final answer,
    `question_quantities` the question's distinct numbers plus its number words, `last_expression`
    the left-hand side of the answer's last equation, `steps` its number of equations."""
    question = prompt.lower()
    text = answer.strip().lower()
    largest = max([abs(n) for n in question_numbers] + [1.0])
    operations = last_step_operations(last_expression or "")
    asks_difference = bool(ASKS_DIFFERENCE.search(question))
    words = re.findall(r"[a-z']+", text)
    return [
        float(final is not None and "how many" in question and not float(final).is_integer()),
        math.log10((abs(final) + 1) / (largest + 1)) if final is not None else 0.0,
        float("-" in operations),
        float("+" in operations),
        float("*" in operations),
        float("/" in operations),
        float(asks_difference),
        float(bool(ASKS_PER_ITEM.search(question))),
        float(asks_difference and "-" not in operations),
        math.log((1 + steps) / (1 + question_quantities)),
        len(set(words)) / max(len(words), 1),
        float(bool(ROUNDING_EXCUSE.search(text))),
        float(
            bool(re.search(r"\bweek(?:ly)?\b", question)) and not re.search(r"\b7\b|seven", text)
        ),
        float(
            bool(re.search(r"\b(?:year|yearly|annual)\b", question))
            and not re.search(r"\b12\b|52|365", text)
        ),
        float(bool(re.search(r"\bdozens?\b", question)) and "12" not in text),
        float(len(MULTIPLIER_WORDS.findall(question))),
        float(bool(re.search(r"%|percent", question)) and not re.search(r"/\s*100|0\.\d|%", text)),
        math.log1p(len(CLAUSE_WORDS.findall(question))),
    ]


def last_step_operations(expression: str) -> str:
    """The distinct operators of an expression, normalised and sorted (`"2 x 3 + 1"` -> `"*+"`);
    `x` between numbers counts as multiplication."""
    cleaned = re.sub(r"(?<=\d)\s*x\s*(?=[\d(])", "*", expression.replace("$", ""))
    found = {op.replace("×", "*").replace("÷", "/") for op in OPERATOR.findall(cleaned)}
    return "".join(sorted(found))
