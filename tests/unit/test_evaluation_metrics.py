"""RouteLLM's routing metrics against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from asymroute.evaluation.metrics import (
    Curve,
    CurvePoint,
    apgr,
    cost_saving,
    cpt,
    decile_thresholds,
    oracle_scores,
    point_from_assignment,
    random_curve,
    random_scores,
    saving_at_strong_quality,
    summarize,
    threshold_curve,
)

# Ten rows: strong helps on row 0 only; both right elsewhere. Weak 0.9, strong 1.0.
WEAK = np.array([False] + [True] * 9)
STRONG = np.array([True] * 10)


def test_point_from_assignment_counts_answers_and_costs() -> None:
    point = point_from_assignment(
        np.array([True, False, False, True]),
        weak_correct=np.array([False, True, False, True]),
        strong_correct=np.array([True, False, True, False]),
        row_cost=np.array([3.0, 1.0, 1.0, 3.0]),
    )

    assert point == CurvePoint(strong_fraction=0.5, accuracy=0.5, cost_usd=8.0)


def test_decile_thresholds_include_both_ends_and_drop_duplicates() -> None:
    thresholds = decile_thresholds(np.array([0.0, 0.0, 1.0, 1.0]))

    assert thresholds[0] == -math.inf and thresholds[-1] == math.inf
    assert thresholds[1:-1] == sorted(set(thresholds[1:-1]))
    assert 0.0 in thresholds and 1.0 in thresholds


def test_oracle_router_on_a_tiny_set_matches_the_hand_computed_curve() -> None:
    curve = threshold_curve("oracle", oracle_scores(WEAK, STRONG), WEAK, STRONG)

    # Points: all weak (0, 0.9); only row 0 to strong (0.1, 1.0); all strong (1, 1.0).
    assert [(p.strong_fraction, p.accuracy) for p in curve.points] == [
        (0.0, 0.9),
        (0.1, 1.0),
        (1.0, 1.0),
    ]
    # Area = 0.1 * 0.95 + 0.9 * 1.0 = 0.995; APGR = (0.995 - 0.9) / 0.1 = 0.95.
    assert apgr(curve, 0.9, 1.0) == pytest.approx(0.95)


def test_a_perfect_curve_has_apgr_one_and_weak_only_zero() -> None:
    perfect = Curve.of("p", [CurvePoint(0.0, 0.6), CurvePoint(0.0, 0.8), CurvePoint(1.0, 0.8)])
    diagonal = Curve.of("d", [CurvePoint(0.0, 0.6), CurvePoint(1.0, 0.8)])

    assert apgr(perfect, 0.6, 0.8) == pytest.approx(1.0)
    assert apgr(diagonal, 0.6, 0.8) == pytest.approx(0.5)


def test_router_equal_to_the_oracle_reaches_apgr_one_when_strong_never_hurts() -> None:
    # 1,000 rows, strong helps on 1: the oracle's curve jumps to strong accuracy at 0.1%.
    weak = np.ones(1000, dtype=bool)
    weak[0] = False
    strong = np.ones(1000, dtype=bool)
    curve = threshold_curve("oracle", oracle_scores(weak, strong), weak, strong)

    assert apgr(curve, weak.mean(), strong.mean()) == pytest.approx(1.0, abs=1e-3)


def test_random_router_over_many_rows_scores_about_one_half() -> None:
    rng = np.random.default_rng(1)
    weak = rng.random(20_000) < 0.65
    strong = rng.random(20_000) < 0.8
    curve = threshold_curve("random", random_scores(20_000, seed=3), weak, strong)

    assert apgr(curve, weak.mean(), strong.mean()) == pytest.approx(0.5, abs=0.05)


def test_cpt_interpolates_on_a_known_curve() -> None:
    # Weak 0.6, strong 0.8: 50% quality is accuracy 0.7, 80% is 0.76.
    curve = Curve.of(
        "known",
        [CurvePoint(0.0, 0.6), CurvePoint(0.2, 0.7), CurvePoint(0.5, 0.76), CurvePoint(1.0, 0.8)],
    )

    assert cpt(curve, 0.5, 0.6, 0.8) == pytest.approx(0.2)
    assert cpt(curve, 0.8, 0.6, 0.8) == pytest.approx(0.5)
    # 90% quality = 0.78, halfway between (0.5, 0.76) and (1.0, 0.8).
    assert cpt(curve, 0.9, 0.6, 0.8) == pytest.approx(0.75)


def test_cpt_is_none_when_the_curve_never_reaches_the_target() -> None:
    curve = Curve.of("bad", [CurvePoint(0.0, 0.6), CurvePoint(1.0, 0.65)])

    assert cpt(curve, 0.5, 0.6, 0.8) is None


def test_cost_saving_at_95_percent_quality() -> None:
    # Strong costs 10 per row, weak 1; 95% quality (0.79) is reached at 50% strong calls.
    curve = Curve.of(
        "c",
        [CurvePoint(0.0, 0.6, 100.0), CurvePoint(0.5, 0.79, 550.0), CurvePoint(1.0, 0.8, 1000.0)],
    )

    assert cost_saving(curve, 0.95, 0.6, 0.8, all_strong_cost=1000.0) == pytest.approx(0.45)
    assert cost_saving(curve, 0.95, 0.6, 0.8, all_strong_cost=None) is None


def test_summarize_reports_every_figure_and_json() -> None:
    report = summarize(
        threshold_curve("oracle", oracle_scores(WEAK, STRONG), WEAK, STRONG), 0.9, 1.0
    )

    assert report.apgr == pytest.approx(0.95)
    assert report.cpt50 == pytest.approx(0.05)
    assert report.cpt80 == pytest.approx(0.08)
    assert report.cost_saving_95 is None
    assert report.as_json()["points"][0] == {
        "threshold": None,
        "strong_fraction": 0.0,
        "accuracy": 0.9,
        "cost_usd": None,
    }


def test_apgr_is_undefined_without_a_gap() -> None:
    with pytest.raises(ValueError, match="equal"):
        apgr(Curve.of("x", [CurvePoint(0.0, 0.5), CurvePoint(1.0, 0.5)]), 0.5, 0.5)


def test_cascade_style_points_reuse_the_same_accounting() -> None:
    # Every row pays the local call (1); escalated rows also pay the frontier (10).
    escalated = np.array([True, False, False, False])
    weak = np.array([False, True, True, False])
    strong = np.array([True, True, True, True])
    cost = 1.0 + 10.0 * escalated

    point = point_from_assignment(escalated, weak, strong, cost)

    assert point == CurvePoint(strong_fraction=0.25, accuracy=0.75, cost_usd=14.0)


def test_saving_at_95_percent_of_strong_accuracy_is_a_ratio_and_a_share() -> None:
    # Strong 0.8 -> target 0.76. Points: (0, 0.6, $100), (0.5, 0.74, $550), (1, 0.8, $1000).
    # 0.76 lies 1/3 of the way from 0.74 to 0.8: cost 550 + 450/3 = 700 -> saving 30%, 1.43x.
    curve = Curve.of(
        "c",
        [CurvePoint(0.0, 0.6, 100.0), CurvePoint(0.5, 0.74, 550.0), CurvePoint(1.0, 0.8, 1000.0)],
    )

    saving, ratio = saving_at_strong_quality(curve, 0.8, 1000.0) or (None, None)

    assert saving == pytest.approx(0.3)
    assert ratio == pytest.approx(1000.0 / 700.0)
    assert saving_at_strong_quality(curve, 0.8, None) is None


def test_saving_at_strong_quality_is_the_weak_cost_when_weak_is_already_good_enough() -> None:
    # Weak 0.96 >= 0.95 x strong 1.0: all-weak ($50) is the cheapest point -> 20x cheaper.
    curve = Curve.of("c", [CurvePoint(0.0, 0.96, 50.0), CurvePoint(1.0, 1.0, 1000.0)])

    assert saving_at_strong_quality(curve, 1.0, 1000.0) == pytest.approx((0.95, 20.0))


def test_saving_at_strong_quality_is_none_when_never_reached() -> None:
    curve = Curve.of("c", [CurvePoint(0.0, 0.5, 1.0), CurvePoint(1.0, 0.7, 2.0)])

    # The all-strong point has accuracy 0.7 < 0.95 x 0.8 = 0.76 (strong measured elsewhere).
    assert saving_at_strong_quality(curve, 0.8, 2.0) is None


def test_random_curve_is_the_exact_straight_line_with_apgr_one_half() -> None:
    curve = random_curve(0.6, 0.8, weak_total_cost=100.0, strong_total_cost=1000.0)

    assert len(curve.points) == 11
    assert curve.points[5] == CurvePoint(0.5, pytest.approx(0.7), pytest.approx(550.0))
    assert apgr(curve, 0.6, 0.8) == pytest.approx(0.5)
    # 0.76 is 80% of the way along: cost 100 + 0.8 x 900 = 820 -> 18% saving, 1.22x cheaper.
    saving, ratio = saving_at_strong_quality(curve, 0.8, 1000.0) or (None, None)
    assert saving == pytest.approx(0.18)
    assert ratio == pytest.approx(1000.0 / 820.0)


def test_summarize_reports_both_cost_figures() -> None:
    curve = Curve.of(
        "c",
        [CurvePoint(0.0, 0.6, 100.0), CurvePoint(0.5, 0.79, 550.0), CurvePoint(1.0, 0.8, 1000.0)],
    )

    report = summarize(curve, 0.6, 0.8, all_strong_cost=1000.0)

    # Gain-based: 0.79 reached at $550 (45%). Strong-based: 0.76 lies 0.16/0.19 of the way
    # from (0, 0.6, $100) to (0.5, 0.79, $550).
    assert report.cost_saving_95 == pytest.approx(0.45)
    expected_cost = 100.0 + 450.0 * (0.16 / 0.19)
    assert report.saving_at_95_strong == pytest.approx(1 - expected_cost / 1000.0)
    assert report.cheaper_at_95_strong == pytest.approx(1000.0 / expected_cost)
    assert report.as_json()["cheaper_at_95_strong"] == report.cheaper_at_95_strong
