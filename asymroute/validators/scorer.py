"""scorer: a learned answer scorer predicts P(local answer wrong); at or above a threshold fails.

The scorer (`asymroute.validators.answer_scorer`) reads the prompt and the answer (final-answer
form, internal arithmetic re-evaluated, hedging, length, coverage of the question's numbers).
`scorer_model` in the context picks a file trained with `asymroute train --target answer`; the
default is the one shipped in the package (trained on GSM8K math answers).

With `scorer_cost_aware` (default on) the risk compared with `scorer_threshold` is
`cost_weighted(P(wrong))`: escalating a long request buys the same chance of a fix for more
frontier dollars, so among equally risky answers the cheap ones escalate first. The judgement's
confidence is 1 − that weighted risk, so the offline replay (`evaluation.cascade`, which sweeps
thresholds over 1 − confidence) ranks answers exactly as the live `validate` node decides.
"""

from __future__ import annotations

from asymroute.requests import content_text
from asymroute.validators.answer_scorer import AnswerScorer, load_answer_scorer
from asymroute.validators.base import CandidateAnswer, Judgement, ValidationPolicy

TYPICAL_ESCALATION_CHARS = 800.0
"""A typical GSM8K escalation's length measure (median on the tuning split: ~780), so a typical
request keeps its P(wrong) and `scorer_threshold` keeps its meaning."""
ANSWER_CHARS_WEIGHT = 2.0
"""The frontier's reply is priced above its input (2-4x at list prices) and runs about as long
as the local answer, so each answer character counts twice. 1-3 measured alike."""
COST_EXPONENT = 0.5
"""Risk per sqrt(cost): the full cost (exponent 1) over-favours short requests. 0.5-0.75
measured alike; both chosen on a development split of the GSM8K replay."""
WEIGHT_BOUNDS = (0.5, 2.0)
"""A request far outside the training lengths (a long document) moves its risk at most 2x."""


def cost_weighted(p_wrong: float, request_chars: int, answer_chars: int) -> float:
    """P(wrong) × sqrt(typical / this escalation's length), within [0, 1]; the length is
    request characters + 2 × answer characters (what the frontier call would read and write)."""
    length = max(request_chars + ANSWER_CHARS_WEIGHT * answer_chars, 1.0)
    weight = (TYPICAL_ESCALATION_CHARS / length) ** COST_EXPONENT
    low, high = WEIGHT_BOUNDS
    return min(1.0, p_wrong * min(max(weight, low), high))


def frontier_input_chars(answer: CandidateAnswer) -> int:
    """What an escalation would send: the whole conversation when the request has one (a late
    turn of a long chat is an expensive escalation), else the prompt (replayed rows)."""
    if not answer.messages:
        return len(answer.prompt)
    return sum(len(content_text(message)) for message in answer.messages)


class ScorerValidator:
    name = "scorer"
    kind = "estimate"

    def __init__(self, policy: ValidationPolicy, model: AnswerScorer | None = None) -> None:
        self.policy = policy
        # Loaded when the plan is built, so a bad file fails before any model call.
        self.model = model if model is not None else load_answer_scorer(policy.scorer_model)

    def check(self, answer: CandidateAnswer) -> Judgement:
        if answer.error is not None or not answer.text.strip():
            return Judgement(False, ("no answer to score",), 0.0)
        p_wrong = self.model.probability_wrong(answer.prompt, answer.text)
        drivers = ", ".join(
            f"{name} {weight:+.2f}"
            for name, weight in self.model.explain(answer.prompt, answer.text)
        )
        risk, measure = p_wrong, f"P(wrong) {p_wrong:.3f}"
        if self.policy.scorer_cost_aware:
            risk = cost_weighted(p_wrong, frontier_input_chars(answer), len(answer.text))
            measure += f", cost-weighted {risk:.3f}"
        threshold = self.policy.scorer_threshold
        verdict = f"{measure} {'>=' if risk >= threshold else '<'} {threshold}"
        return Judgement(risk < threshold, (f"{verdict} ({drivers})",), 1.0 - risk)
