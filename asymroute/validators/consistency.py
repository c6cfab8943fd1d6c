"""consistency: the local model solves the request again, and the answers must agree.

Self-consistency as a confidence (Wang et al., 2023), in the cascade form of Yue et al. (2024,
"LLM cascades with mixture of thought representations"): a weak model that reaches the same
final answer by different routes is usually right, and one that does not is often wrong. The
local model answers the request `consistency_samples` more times, each under a different
solving instruction, so the samples differ even at temperature 0. The share of samples whose
final answer equals the original's (among those that state one) is the confidence; below
`consistency_min_agreement` the answer fails.

Final answers are compared by meaning: numbers numerically (`$1,200` = `1200.0`), choice
letters as letters, anything else as normalised text, where a short answer agrees with a
longer one that contains it word for word. An answer with no final answer to compare (free
prose) cannot be judged this way: the validator says so and abstains (or fails, with
`unmeasured_policy=escalate`). Every sample is a local call, recorded in usage by the
`validate` node; in an offline replay there is no model to ask.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Sequence

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from asymroute.validators.answer_features import NUMBER, final_answer_text, parse_number
from asymroute.validators.base import (
    CandidateAnswer,
    Judgement,
    ValidationPolicy,
    ValidatorSteps,
    unmeasured,
)
from asymroute.validators.votes import collect_votes, judge_votes

FINAL_LINE = "End with a last line of the form 'Answer: <final answer>'."
SOLVING_INSTRUCTIONS = (
    f"Solve the problem step by step. {FINAL_LINE}",
    "First list the facts and quantities the problem gives, then work out what it asks "
    f"for. {FINAL_LINE}",
    f"Write every calculation as an equation, one per line, then state the result. {FINAL_LINE}",
    f"Solve the problem, then check the result against each condition in it. {FINAL_LINE}",
)
ANSWER_LINE = re.compile(r"^\W*(?:final\s+)?answer\s*[:=]\s*(.+?)\s*$", re.I | re.M)
# "(B) ...", "B) ...", "B. ...", "B" alone; not "A dog", which is text.
CHOICE = re.compile(r"^(?:\(([A-E])\)|([A-E])(?:[.):,]|\s*$))")
ARTICLES = re.compile(r"^(?:the|a|an)\s+")
MAX_KEY_CHARS = 80


def final_answer_key(text: str) -> tuple[str, str | float] | None:
    """What an answer finally states, comparable across wordings: ("number", 42.0),
    ("choice", "B") or ("text", "paris"); None when it states no final answer."""
    stated = _stated_final(text)
    if stated is None:
        return None
    choice = CHOICE.match(stated)
    if choice:
        return ("choice", choice.group(1) or choice.group(2))
    number = parse_number(stated)
    if number is not None:
        return ("number", number)
    words = ARTICLES.sub("", stated.lower().translate(str.maketrans("", "", string.punctuation)))
    words = " ".join(words.split())[:MAX_KEY_CHARS]
    return ("text", words) if words else None


def _stated_final(text: str) -> str | None:
    answer_lines = ANSWER_LINE.findall(text)
    if answer_lines:
        return str(answer_lines[-1]).strip()
    marked = final_answer_text(text)
    if marked is not None:
        return marked
    written = [line for line in text.splitlines() if line.strip()]
    # An unmarked worked solution ends on its result ("... = 12 apples."); prose does not.
    numbers = NUMBER.findall(written[-1]) if written else []
    return str(numbers[-1]) if numbers else None


def same_answer(a: tuple[str, str | float], b: tuple[str, str | float]) -> bool:
    if a[0] != b[0]:
        return False
    if a[0] == "number":
        return math.isclose(float(a[1]), float(b[1]), rel_tol=1e-6, abs_tol=1e-6)
    if a[0] == "text":
        # "Paris" and "Paris, the capital of France" state the same answer.
        short, long = sorted((str(a[1]).split(), str(b[1]).split()), key=len)
        return any(long[i : i + len(short)] == short for i in range(len(long) - len(short) + 1))
    return a[1] == b[1]


def resample_messages(answer: CandidateAnswer, sample: int) -> list[BaseMessage]:
    """The request again (its whole conversation when it has one), under the sample's
    solving instruction; an existing system prompt is kept, the instruction follows it."""
    instruction = SOLVING_INSTRUCTIONS[sample % len(SOLVING_INSTRUCTIONS)]
    conversation: Sequence[BaseMessage] = answer.messages or (HumanMessage(answer.prompt),)
    first, rest = conversation[0], list(conversation[1:])
    if isinstance(first, SystemMessage) and isinstance(first.content, str):
        return [SystemMessage(f"{first.content}\n\n{instruction}"), *rest]
    return [SystemMessage(instruction), first, *rest]


class ConsistencyValidator:
    name = "consistency"
    kind = "estimate"

    def __init__(self, policy: ValidationPolicy) -> None:
        self.policy = policy

    def check(self, answer: CandidateAnswer) -> Judgement:
        if answer.error is not None or not answer.text.strip():
            return Judgement(False, ("no answer to compare",), 0.0)
        if final_answer_key(answer.text) is None:
            return unmeasured(self.policy, "the answer states no final answer to compare")
        return unmeasured(self.policy, "consistency needs live local calls (none here)")

    def steps(self, answer: CandidateAnswer) -> ValidatorSteps:
        original = final_answer_key(answer.text) if answer.error is None else None
        if original is None:
            return self.check(answer)
        asked = self.policy.consistency_samples
        votes = yield from collect_votes(
            (resample_messages(answer, sample) for sample in range(asked)),
            lambda text: _agrees(final_answer_key(text), original),
        )
        summary = (
            f"{votes.agreeing}/{votes.voted} resamples reach the same final answer "
            f"({_shown(original)}; {asked - votes.voted} of {asked} stated none or failed)"
        )
        return judge_votes(
            self.policy,
            votes,
            self.policy.consistency_min_agreement,
            no_vote="resamples stated a final answer",
            summary=summary,
        )


def _agrees(key: tuple[str, str | float] | None, original: tuple[str, str | float]) -> bool | None:
    return None if key is None else same_answer(key, original)


def _shown(key: tuple[str, str | float]) -> str:
    value = key[1]
    if isinstance(value, float):
        return f"{value:g}"
    return value
