"""Replay a validate-then-escalate cascade on labeled data that carries the weak model's answers.

Each row goes through the router's two decisions, with the router's own code:

1. prompt first: the pre-route classifier's score; at or above `prompt_threshold` the request
   goes straight to the frontier (it pays the frontier call only);
2. answer second: the recorded weak answer is judged by the policy's validators (the same
   `Validator` objects and `combine` the `validate` node uses). A failed check (structural,
   format) always escalates; otherwise the answer's risk is 1 − the mean confidence of the
   estimators (scorer, confidence, self_verify, consistency). Sweeping the risk threshold
   gives the curve; the policy's own thresholds give the operating point. With
   `scorer_cost_aware` (default) the scorer's confidence is 1 − its cost-weighted risk
   (`validators.scorer.cost_weighted`), so the sweep ranks cheap escalations first, as the
   live `validate` node decides.

Cost: every request that reaches the local tier pays the local call; an escalated one also pays
the frontier call (`costs.row_costs`: recorded, else tokens × list prices; `local_free` prices
the local call at $0, as for an in-process model). The learned scorer is cross-fitted: each
row is scored by a model trained on the other folds, never on itself; the whole replay, with
that training, is `asymroute.learning.cascade_fit.evaluate_cascade` (evaluation never imports
the trainers: they build on it).

`self_verify` and `consistency` need a live local model: pass `reply`, the handler that answers
their `CallTier` effects with a `ModelCall` (`asymroute.effects`), as
`asymroute eval --cascade --live-local` does; without it they report "not measured".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from asymroute.effects import CallTier, ModelCall, drive
from asymroute.evaluation.cascade_report import CascadeReport
from asymroute.evaluation.costs import RowCosts, row_costs
from asymroute.evaluation.datasets import LabeledData
from asymroute.evaluation.metrics import (
    Curve,
    RouterReport,
    cost_saving,
    decile_thresholds,
    oracle_scores,
    point_from_assignment,
    summarize,
    threshold_curve,
)
from asymroute.evaluation.progress import Progress
from asymroute.validators import VALIDATORS, CallingValidator, CandidateAnswer, Validator
from asymroute.validators.base import ValidationPolicy, kind_of
from asymroute.validators.run import combine
from asymroute.validators.scorer import ScorerValidator

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
Reply = Callable[[CallTier], ModelCall]
CURVE_BINS = 40
FRONTIER_QUALITY = 0.95
"""'95% of frontier quality': accuracy >= 0.95 × the strong model's (RouteLLM's wording)."""


@dataclass(frozen=True)
class AnswerJudgements:
    """Per row: the answer's risk in [0, 1], the verdict at the policy's thresholds, failures."""

    risk: FloatArray
    passed: BoolArray
    failed: list[list[str]]


def replay_candidate(prompt: str, answer: str) -> CandidateAnswer:
    # Recorded answers carry no finish reason or log-probs: those validators cannot measure.
    return CandidateAnswer(prompt=prompt, text=answer, finish_reason=None)


def judge_answers(
    data: LabeledData,
    names: Sequence[str],
    policy: ValidationPolicy,
    *,
    scorers: tuple[npt.NDArray[np.int64], Sequence[Any]] | None = None,
    reply: Reply | None = None,
    show_progress: bool = True,
) -> AnswerJudgements:
    """Judge every recorded weak answer with every validator (no short-circuit: the curve
    needs each estimator's confidence). `scorers` = (fold of each row, scorer per fold)."""
    if data.weak_responses is None:
        raise ValueError("the data has no weak-model responses to replay")
    per_fold: dict[int, list[Validator]] = {}

    def validators_for(fold: int) -> list[Validator]:
        if fold not in per_fold:
            model = scorers[1][fold] if scorers is not None else None
            per_fold[fold] = [
                ScorerValidator(policy, model) if name == "scorer" else VALIDATORS[name](policy)
                for name in names
            ]
        return per_fold[fold]

    risk = np.zeros(len(data))
    passed = np.zeros(len(data), dtype=bool)
    failed: list[list[str]] = []
    with Progress(len(data), "validating", enabled=None if show_progress else False) as bar:
        for i, (prompt, answer) in enumerate(zip(data.prompts, data.weak_responses, strict=True)):
            validators = validators_for(int(scorers[0][i]) if scorers is not None else 0)
            candidate = replay_candidate(prompt, answer)
            judged = [(v.name, judge_one(v, candidate, reply)) for v in validators]
            verdict = combine(candidate, validators, judged, policy)
            passed[i] = verdict["passed"]
            failed.append(list(verdict.get("failed", [])))
            risk[i] = _risk(validators, judged)
            bar.advance()
    return AnswerJudgements(risk, passed, failed)


def judge_one(validator: Validator, candidate: CandidateAnswer, reply: Reply | None) -> Any:
    """One validator's judgement: with its local calls made through `reply` when it has
    some and a `reply` is given, else from `check` alone."""
    if reply is None or not isinstance(validator, CallingValidator):
        return validator.check(candidate)
    return drive(validator.steps(candidate), reply)


def _risk(validators: Sequence[Validator], judged: Sequence[tuple[str, Any]]) -> float:
    kinds = {v.name: kind_of(v) for v in validators}
    if any(kinds[name] == "check" and not j.passed for name, j in judged):
        return 1.0
    measured = [j.confidence for name, j in judged if kinds[name] == "estimate"]
    confidences = [c for c in measured if c is not None]
    if not confidences:
        return 0.0 if all(j.passed for _, j in judged) else 1.0
    return 1.0 - float(np.mean(confidences))


def cascade_costs(data: LabeledData, *, local_free: bool = False) -> RowCosts:
    costs = row_costs(data)
    if costs is None:
        raise ValueError(
            f"no price for {data.weak!r} or {data.strong!r}; add it to the price table"
        )
    if local_free:
        return RowCosts(np.zeros(len(data)), costs.strong, costs.source + "; local calls at $0")
    return costs


def cascade_curve(
    name: str,
    data: LabeledData,
    risk: FloatArray,
    costs: RowCosts,
    prerouted: BoolArray | None = None,
) -> Curve:
    """Escalate when `risk >= t`, for t over the risk quantiles (plus never and always)."""
    direct = np.zeros(len(data), dtype=bool) if prerouted is None else prerouted
    points: dict[tuple[float, float], Any] = {}
    for threshold in decile_thresholds(risk, CURVE_BINS):
        escalated = ~direct & (risk >= threshold)
        point = cascade_point(data, direct, escalated, costs, threshold)
        points.setdefault((point.strong_fraction, point.accuracy), point)
    return Curve.of(name, points.values())


def cascade_point(
    data: LabeledData, direct: BoolArray, escalated: BoolArray, costs: RowCosts, threshold: float
) -> Any:
    """Local call on every row not routed straight to the frontier; frontier on the others."""
    local = ~direct
    row_cost = np.where(local, costs.weak, 0.0) + np.where(direct | escalated, costs.strong, 0.0)
    return point_from_assignment(
        direct | escalated, data.weak_correct, data.strong_correct, row_cost, threshold=threshold
    )


def saving_at_frontier_quality(
    report: RouterReport, data: LabeledData, all_strong: float
) -> float | None:
    """1 − cost / frontier-only cost where accuracy first reaches 95% of the frontier's."""
    weak, strong = data.weak_accuracy, data.strong_accuracy
    quality = (FRONTIER_QUALITY * strong - weak) / (strong - weak)
    return cost_saving(report.curve, quality, weak, strong, all_strong)


def cascade_report(
    data: LabeledData,
    judgements: AnswerJudgements,
    prompt_scores: dict[str, FloatArray],
    *,
    validators: Sequence[str],
    scorer_evaluation: str,
    prompt_threshold: float | None = None,
    local_free: bool = False,
) -> CascadeReport:
    """Pre-route classifiers alone, the cascade (answer-only, and prompt-first when a prompt
    threshold is given), and the oracle, each with RouteLLM's metrics."""
    costs = cascade_costs(data, local_free=local_free)
    all_strong = float(costs.strong.sum())
    weak, strong = data.weak_accuracy, data.strong_accuracy
    curves = [
        threshold_curve(
            f"pre-route {name}",
            scores,
            data.weak_correct,
            data.strong_correct,
            costs.weak,
            costs.strong,
        )
        for name, scores in prompt_scores.items()
    ]
    cascade_name = f"cascade ({'+'.join(validators)})"
    curves.append(cascade_curve(cascade_name, data, judgements.risk, costs))
    direct = None
    if prompt_threshold is not None and prompt_scores:
        first, scores = next(iter(prompt_scores.items()))
        direct = scores >= prompt_threshold
        curves.append(
            cascade_curve(
                f"{first} >= {prompt_threshold} then {cascade_name}",
                data,
                judgements.risk,
                costs,
                direct,
            )
        )
    curves.append(
        threshold_curve(
            "oracle",
            oracle_scores(data.weak_correct, data.strong_correct),
            data.weak_correct,
            data.strong_correct,
            costs.weak,
            costs.strong,
        )
    )
    reports = [summarize(c, weak, strong, all_strong) for c in curves]
    at_policy = cascade_point(
        data,
        np.zeros(len(data), dtype=bool) if direct is None else direct,
        ~judgements.passed,
        costs,
        float("nan"),
    )
    return CascadeReport(
        n=len(data),
        weak=data.weak,
        strong=data.strong,
        weak_accuracy=weak,
        strong_accuracy=strong,
        validators=tuple(validators),
        scorer_evaluation=scorer_evaluation,
        cost_source=costs.source,
        reports=reports,
        savings_at_frontier_quality={
            r.name: saving_at_frontier_quality(r, data, all_strong) for r in reports
        },
        operating_point={
            "escalation_rate": at_policy.strong_fraction,
            "accuracy": at_policy.accuracy,
            "cost_usd": at_policy.cost_usd or 0.0,
            "frontier_only_cost_usd": all_strong,
        },
    )
