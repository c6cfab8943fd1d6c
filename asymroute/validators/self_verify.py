"""self_verify: the local model checks its own answer, AutoMix-style (Madaan et al., 2023).

The local model is shown a few worked verifications and then the question and its answer, and
asked for a verdict, `k` times (`self_verify_samples`). Each sample rotates the order of the
worked examples, so samples differ even at temperature 0. The share of "correct" verdicts among
those that could be parsed is the confidence; below `self_verify_min_agreement` the answer
fails. Every verification is a local call, recorded in usage by the `validate` node. In an
offline replay there is no model to ask: `check` reports that it did not measure.
"""

from __future__ import annotations

import re

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from asymroute.validators.base import (
    CandidateAnswer,
    Judgement,
    ValidationPolicy,
    ValidatorSteps,
    unmeasured,
)
from asymroute.validators.votes import collect_votes, judge_votes

INSTRUCTION = (
    "You check answers. Read the question and the proposed answer, then reply with one line: "
    "'Verdict: Correct' if the answer is right, or 'Verdict: Incorrect' if it is wrong."
)
EXAMPLES = (
    (
        "Tom has 3 boxes of 4 apples. How many apples does he have?",
        "3 boxes x 4 apples = 12 apples. The answer is 12.",
        "Correct",
    ),
    (
        "A shirt costs $20 and is 25% off. What does it cost now?",
        "25% of 20 is 5, so the price is 20 + 5 = $25.",
        "Incorrect",
    ),
    (
        "What is the capital of France?",
        "The capital of France is Paris.",
        "Correct",
    ),
    (
        "Anna is 10 and her brother is twice her age. How old is her brother?",
        "Her brother is 10 / 2 = 5 years old.",
        "Incorrect",
    ),
)
VERDICT = re.compile(r"\b(incorrect|not correct|wrong|correct|right)\b", re.I)
MAX_ANSWER_CHARS = 2000


def verification_messages(question: str, answer: str, sample: int) -> list[BaseMessage]:
    shift = sample % len(EXAMPLES)
    examples = EXAMPLES[shift:] + EXAMPLES[:shift]
    shots = "\n\n".join(
        f"Question: {q}\nAnswer: {a}\nVerdict: {verdict}" for q, a, verdict in examples
    )
    return [
        SystemMessage(INSTRUCTION),
        HumanMessage(
            f"{shots}\n\nQuestion: {question}\nAnswer: {answer[:MAX_ANSWER_CHARS]}\nVerdict:"
        ),
    ]


def parse_verdict(text: str) -> bool | None:
    """True for correct, False for incorrect, None when the reply gives no verdict."""
    match = VERDICT.search(text)
    if match is None:
        return None
    return match.group(1).lower() in ("correct", "right")


class SelfVerifyValidator:
    name = "self_verify"
    kind = "estimate"

    def __init__(self, policy: ValidationPolicy) -> None:
        self.policy = policy

    def check(self, answer: CandidateAnswer) -> Judgement:
        if answer.error is not None or not answer.text.strip():
            return Judgement(False, ("no answer to verify",), 0.0)
        return unmeasured(self.policy, "self-verification needs live local calls (none here)")

    def steps(self, answer: CandidateAnswer) -> ValidatorSteps:
        if answer.error is not None or not answer.text.strip():
            return self.check(answer)
        asked = self.policy.self_verify_samples
        votes = yield from collect_votes(
            (verification_messages(answer.prompt, answer.text, s) for s in range(asked)),
            parse_verdict,
        )
        summary = (
            f"{votes.agreeing}/{votes.voted} verdicts say correct "
            f"({asked - votes.voted} of {asked} unparsed or failed)"
        )
        return judge_votes(
            self.policy,
            votes,
            self.policy.self_verify_min_agreement,
            no_vote="verifications gave a verdict",
            summary=summary,
        )
