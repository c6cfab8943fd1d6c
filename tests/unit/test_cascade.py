"""Cascade replay on a hand-computed toy file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from asymroute.evaluation.cascade import (
    cascade_costs,
    cascade_curve,
    cascade_point,
    cascade_report,
    judge_answers,
    replay_candidate,
)
from asymroute.evaluation.costs import RowCosts
from asymroute.evaluation.datasets import LabeledData, load_labeled
from asymroute.validators.base import ValidationPolicy

WEAK, STRONG = "mixtral-8x7b-instruct", "gpt-4-1106-preview"
# weak right/strong right; weak wrong/strong right (looks fine); weak right/strong wrong;
# weak wrong/strong right with an empty answer (structural fails).
ROWS = [
    ("q1", True, True, "#### 1"),
    ("q2", False, True, "#### 2"),
    ("q3", True, False, "#### 3"),
    ("q4", False, True, ""),
]
COSTS = RowCosts(np.ones(4), np.full(4, 10.0), "toy: $1 local, $10 frontier per call")


@pytest.fixture
def toy(tmp_path: Path) -> LabeledData:
    path = tmp_path / "toy.csv"
    lines = [f"prompt,{WEAK},{STRONG},{WEAK}_response"]
    lines += [f'{p},{w},{s},"{r}"' for p, w, s, r in ROWS]
    path.write_text("\n".join(lines) + "\n")
    return load_labeled([path], WEAK, STRONG)


def test_structural_replay_fails_only_the_empty_answer(toy: LabeledData) -> None:
    judged = judge_answers(toy, ["structural"], ValidationPolicy(), show_progress=False)
    assert judged.passed.tolist() == [True, True, True, False]
    assert judged.risk.tolist() == [0.0, 0.0, 0.0, 1.0]
    assert judged.failed == [[], [], [], ["structural"]]


def test_scorer_replay_risk_is_the_live_validators_cost_weighted_risk(toy: LabeledData) -> None:
    from asymroute.validators.scorer import ScorerValidator

    policy = ValidationPolicy()
    judged = judge_answers(toy, ["scorer"], policy, show_progress=False)
    live = ScorerValidator(policy)
    for i, (prompt, _, _, answer) in enumerate(ROWS[:3]):
        verdict = live.check(replay_candidate(prompt, answer))
        assert verdict.confidence is not None
        assert judged.risk[i] == pytest.approx(1 - verdict.confidence)
        assert judged.passed[i] == verdict.passed


def test_cascade_curve_and_costs_by_hand(toy: LabeledData) -> None:
    risk = np.array([0.0, 0.0, 0.0, 1.0])
    curve = cascade_curve("c", toy, risk, COSTS)
    points = [(p.strong_fraction, p.accuracy, p.cost_usd) for p in curve.points]
    # never escalate: 4 local calls; escalate q4: +10; escalate all: 4 + 40.
    assert points == [(0.0, 0.5, 4.0), (0.25, 0.75, 14.0), (1.0, 0.75, 44.0)]


def test_prompt_first_rows_pay_the_frontier_only(toy: LabeledData) -> None:
    direct = np.array([False, True, False, False])
    escalated = np.array([False, False, False, True])
    point = cascade_point(toy, direct, escalated, COSTS, 0.5)
    # q2: frontier $10 only; q1, q3, q4: local $1 each; q4 escalated: +$10.
    assert (point.strong_fraction, point.accuracy, point.cost_usd) == (0.5, 1.0, 23.0)


def test_report_metrics_by_hand(toy: LabeledData, monkeypatch: pytest.MonkeyPatch) -> None:
    from asymroute.evaluation import cascade

    monkeypatch.setattr(cascade, "cascade_costs", lambda data, local_free=False: COSTS)
    judged = judge_answers(toy, ["structural"], ValidationPolicy(), show_progress=False)
    report = cascade_report(
        toy, judged, {}, validators=["structural"], scorer_evaluation="not used"
    )
    mine = report.reports[0]
    assert mine.name == "cascade (structural)"
    # weak 0.5, strong 0.75; area = 0.25·(0.5+0.75)/2 + 0.75·0.75 = 0.71875
    assert mine.apgr == pytest.approx((0.71875 - 0.5) / 0.25)
    assert mine.cpt50 == pytest.approx(0.125)
    # 95% of the frontier's accuracy = 0.7125, reached 85% of the way from ($4, 0.5) to
    # ($14, 0.75): $12.50 vs $40 frontier-only.
    assert report.savings_at_frontier_quality[mine.name] == pytest.approx(1 - 12.5 / 40)
    assert report.operating_point == {
        "escalation_rate": 0.25,
        "accuracy": 0.75,
        "cost_usd": 14.0,
        "frontier_only_cost_usd": 40.0,
    }


def test_local_free_prices_local_calls_at_zero(toy: LabeledData) -> None:
    costs = cascade_costs(toy, local_free=True)
    assert costs.weak.tolist() == [0.0] * 4 and costs.strong.min() > 0
    assert costs.source.endswith("local calls at $0")
