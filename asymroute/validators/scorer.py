"""scorer: a learned answer scorer predicts P(local answer wrong); at or above a threshold fails.

The scorer (`asymroute.learning.answer_scorer`) reads the prompt and the answer (final-answer
form, internal arithmetic re-evaluated, hedging, length, coverage of the question's numbers).
`scorer_model` in the context picks a file trained with `asymroute train --target answer`; the
default is the one shipped in the package (trained on GSM8K math answers).
"""

from __future__ import annotations

from asymroute.learning.answer_scorer import AnswerScorer, load_answer_scorer
from asymroute.validators.base import CandidateAnswer, Judgement, ValidationPolicy


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
        threshold = self.policy.scorer_threshold
        verdict = f"P(wrong) {p_wrong:.3f} {'>=' if p_wrong >= threshold else '<'} {threshold}"
        return Judgement(p_wrong < threshold, (f"{verdict} ({drivers})",), 1.0 - p_wrong)
