"""Routing-quality metrics with RouteLLM's definitions (Ong et al., 2024).

A router assigns each request to the weak or the strong model. One assignment gives a
`CurvePoint`: the fraction of requests the strong model answered, the accuracy, and the total
cost. A router with a score sweeps a threshold (strong when `score >= threshold`) over the 10
deciles of its scores plus all-weak and all-strong, which gives a `Curve`.

- APGR: (area under accuracy-vs-strong-fraction, trapezoid rule, − weak accuracy) /
  (strong accuracy − weak accuracy), over the fractions the curve spans (RouteLLM normalises by
  that span; a threshold curve always spans [0, 1]).
- CPT(x): smallest strong-call fraction whose accuracy reaches weak + x·(strong − weak), read
  on the piecewise-linear curve; None when the curve never gets there.
- Cost at 95% of strong quality (the headline): the cheapest way along the curve to an
  accuracy >= 0.95 × strong accuracy, i.e. the first point (interpolated) reaching it, reported
  as a saving 1 − cost / all-strong cost and as a ratio all-strong cost / cost ("3.1x
  cheaper"); None without costs or when the curve never gets there.
- Gain-based cost saving (`cost_saving_95`, kept for comparison, always labelled "of the
  gain"): the same at weak + 0.95·(strong − weak).
- Random router: its exact expectation, the straight line from all-weak to all-strong
  (`random_curve`, APGR exactly 0.5), not one random draw.

Reuse for other routing schemes (e.g. a cascade): build each point yourself with
`point_from_assignment(answered_by_strong, weak_correct, strong_correct, row_cost)` — the
per-row cost is whatever the scheme pays (a cascade pays the local call on every row and the
frontier on escalated ones) — then `Curve.of(name, points)` and `summarize(...)`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
# Per-row quality of each model's answer: right/wrong, or a graded score (a judge's 1-10), whose
# mean then takes the place of accuracy on the curve.
QualityArray = BoolArray | FloatArray
DECILE_BINS = 10


@dataclass(frozen=True)
class CurvePoint:
    strong_fraction: float
    accuracy: float
    cost_usd: float | None = None
    """Total cost of the whole set under this assignment; None when costs are unknown."""
    threshold: float | None = None


@dataclass(frozen=True)
class Curve:
    name: str
    points: tuple[CurvePoint, ...]
    """Sorted by strong_fraction, then accuracy."""

    @classmethod
    def of(cls, name: str, points: Iterable[CurvePoint]) -> Curve:
        ordered = sorted(points, key=lambda p: (p.strong_fraction, p.accuracy))
        if not ordered:
            raise ValueError("a curve needs at least one point")
        return cls(name, tuple(ordered))

    @property
    def fractions(self) -> FloatArray:
        return np.array([p.strong_fraction for p in self.points], dtype=float)

    @property
    def accuracies(self) -> FloatArray:
        return np.array([p.accuracy for p in self.points], dtype=float)


@dataclass(frozen=True)
class RouterReport:
    name: str
    apgr: float
    cpt50: float | None
    cpt80: float | None
    cost_saving_95: float | None
    """Gain-based: saving where the curve reaches 95% of the weak->strong gain."""
    curve: Curve
    saving_at_95_strong: float | None = None
    """1 − cost/all-strong cost at the first point with accuracy >= 0.95 × strong accuracy."""
    cheaper_at_95_strong: float | None = None
    """all-strong cost / cost at that point (2.0 = half the price)."""

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "apgr": self.apgr,
            "cpt50": self.cpt50,
            "cpt80": self.cpt80,
            "cost_saving_95": self.cost_saving_95,
            "cost_saving_95_of_gain": self.cost_saving_95,
            "saving_at_95_strong": self.saving_at_95_strong,
            "cheaper_at_95_strong": self.cheaper_at_95_strong,
            "points": [
                {
                    # JSON has no infinity: the all-weak/all-strong ends have no threshold.
                    "threshold": p.threshold
                    if p.threshold is not None and math.isfinite(p.threshold)
                    else None,
                    "strong_fraction": p.strong_fraction,
                    "accuracy": p.accuracy,
                    "cost_usd": p.cost_usd,
                }
                for p in self.curve.points
            ],
        }


def routed_cost(
    use_strong: BoolArray, weak_cost: FloatArray, strong_cost: FloatArray
) -> FloatArray:
    """Per-row cost when each row is answered by exactly one model."""
    return np.where(use_strong, strong_cost, weak_cost).astype(float)


def point_from_assignment(
    answered_by_strong: BoolArray,
    weak_correct: QualityArray,
    strong_correct: QualityArray,
    row_cost: FloatArray | None = None,
    *,
    threshold: float | None = None,
) -> CurvePoint:
    """Accuracy, strong share and total cost when `answered_by_strong` picks each row's answer."""
    strong = np.asarray(answered_by_strong, dtype=bool)
    if not len(strong):
        raise ValueError("no rows to evaluate")
    correct = np.where(strong, strong_correct, weak_correct)
    return CurvePoint(
        strong_fraction=float(strong.mean()),
        accuracy=float(correct.mean()),
        cost_usd=None if row_cost is None else float(np.sum(row_cost)),
        threshold=threshold,
    )


def decile_thresholds(scores: FloatArray, bins: int = DECILE_BINS) -> list[float]:
    """The score quantiles at 0, 1/bins, ..., 1 (duplicates kept out), plus ±inf for the ends."""
    quantiles = np.quantile(np.asarray(scores, dtype=float), np.linspace(0.0, 1.0, bins + 1))
    return [-math.inf, *sorted({float(q) for q in quantiles}), math.inf]


def threshold_curve(
    name: str,
    scores: FloatArray,
    weak_correct: QualityArray,
    strong_correct: QualityArray,
    weak_cost: FloatArray | None = None,
    strong_cost: FloatArray | None = None,
    *,
    bins: int = DECILE_BINS,
) -> Curve:
    """Route to strong when `score >= threshold`, for every decile threshold and both ends."""
    values = np.asarray(scores, dtype=float)
    points: dict[tuple[float, float], CurvePoint] = {}
    for threshold in decile_thresholds(values, bins):
        use_strong = values >= threshold
        cost = None
        if weak_cost is not None and strong_cost is not None:
            cost = routed_cost(use_strong, weak_cost, strong_cost)
        point = point_from_assignment(
            use_strong, weak_correct, strong_correct, cost, threshold=threshold
        )
        points.setdefault((point.strong_fraction, point.accuracy), point)
    return Curve.of(name, points.values())


def area(curve: Curve) -> float:
    x, y = curve.fractions, curve.accuracies
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2.0))


def apgr(curve: Curve, weak_accuracy: float, strong_accuracy: float) -> float:
    gap = strong_accuracy - weak_accuracy
    if gap == 0:
        raise ValueError("APGR is undefined when weak and strong accuracy are equal")
    fractions = curve.fractions
    span = float(fractions[-1] - fractions[0])
    if span == 0:
        raise ValueError("APGR needs a curve that spans more than one strong-call fraction")
    return (area(curve) - weak_accuracy * span) / (gap * span)


def scores_apgr(scores: FloatArray, weak: BoolArray, strong: BoolArray) -> float:
    """APGR of a router's scores on rows with both models' right/wrong (the threshold curve
    over every score, between the two models' accuracies)."""
    curve = threshold_curve("scores", scores, weak, strong)
    return apgr(curve, float(weak.mean()), float(strong.mean()))


def _first_reaching(curve: Curve, target: float) -> tuple[int, float] | None:
    """(segment end index, interpolation weight) of the first point on the curve >= target."""
    points = curve.points
    if points[0].accuracy >= target:
        return 0, 1.0
    for i in range(1, len(points)):
        before, after = points[i - 1], points[i]
        if after.accuracy >= target:
            rise = after.accuracy - before.accuracy
            return i, (target - before.accuracy) / rise
    return None


def _interpolate(a: float, b: float, weight: float) -> float:
    return a + (b - a) * weight


def cpt(curve: Curve, quality: float, weak_accuracy: float, strong_accuracy: float) -> float | None:
    """Call-performance threshold: strong share needed for `quality` of the weak→strong gap."""
    target = weak_accuracy + quality * (strong_accuracy - weak_accuracy)
    found = _first_reaching(curve, target - 1e-12)
    if found is None:
        return None
    index, weight = found
    if index == 0:
        return curve.points[0].strong_fraction
    before, after = curve.points[index - 1], curve.points[index]
    return _interpolate(before.strong_fraction, after.strong_fraction, weight)


def cost_at_accuracy(curve: Curve, target: float) -> float | None:
    """Cost (interpolated) at the first point of the curve whose accuracy reaches `target`."""
    if any(p.cost_usd is None for p in curve.points):
        return None
    found = _first_reaching(curve, target - 1e-12)
    if found is None:
        return None
    index, weight = found
    after = curve.points[index]
    assert after.cost_usd is not None
    if index == 0:
        return after.cost_usd
    before = curve.points[index - 1]
    assert before.cost_usd is not None
    return _interpolate(before.cost_usd, after.cost_usd, weight)


def saving_at_strong_quality(
    curve: Curve, strong_accuracy: float, all_strong_cost: float | None, share: float = 0.95
) -> tuple[float, float] | None:
    """(saving, ratio) at the first point with accuracy >= share × strong accuracy.

    saving = 1 − cost / all-strong cost; ratio = all-strong cost / cost (inf when free).
    """
    if not all_strong_cost:
        return None
    cost = cost_at_accuracy(curve, share * strong_accuracy)
    if cost is None:
        return None
    ratio = math.inf if cost <= 0 else all_strong_cost / cost
    return 1.0 - cost / all_strong_cost, ratio


def cost_saving(
    curve: Curve,
    quality: float,
    weak_accuracy: float,
    strong_accuracy: float,
    all_strong_cost: float | None,
) -> float | None:
    """Gain-based: 1 − cost/all-strong cost where the curve first reaches `quality` of the gap."""
    if not all_strong_cost:
        return None
    cost = cost_at_accuracy(curve, weak_accuracy + quality * (strong_accuracy - weak_accuracy))
    return None if cost is None else 1.0 - cost / all_strong_cost


def summarize(
    curve: Curve,
    weak_accuracy: float,
    strong_accuracy: float,
    all_strong_cost: float | None = None,
) -> RouterReport:
    at_strong = saving_at_strong_quality(curve, strong_accuracy, all_strong_cost)
    return RouterReport(
        name=curve.name,
        apgr=apgr(curve, weak_accuracy, strong_accuracy),
        cpt50=cpt(curve, 0.5, weak_accuracy, strong_accuracy),
        cpt80=cpt(curve, 0.8, weak_accuracy, strong_accuracy),
        cost_saving_95=cost_saving(curve, 0.95, weak_accuracy, strong_accuracy, all_strong_cost),
        curve=curve,
        saving_at_95_strong=None if at_strong is None else at_strong[0],
        cheaper_at_95_strong=None if at_strong is None else at_strong[1],
    )


def oracle_scores(weak_correct: BoolArray, strong_correct: BoolArray) -> FloatArray:
    """1 where only the strong model is right, 0 where only the weak one is, 0.5 otherwise.

    Its threshold curve is RouteLLM's optimal router: it spends strong calls where they help.
    """
    weak = np.asarray(weak_correct, dtype=bool)
    strong = np.asarray(strong_correct, dtype=bool)
    return np.where(strong & ~weak, 1.0, np.where(weak & ~strong, 0.0, 0.5))


def random_scores(n: int, seed: int = 0) -> FloatArray:
    """Uniform scores from a fixed seed: one draw of a random router (expected APGR 0.5)."""
    return np.random.default_rng(seed).random(n)


def random_curve(
    weak_accuracy: float,
    strong_accuracy: float,
    weak_total_cost: float | None = None,
    strong_total_cost: float | None = None,
    *,
    name: str = "random",
    bins: int = DECILE_BINS,
) -> Curve:
    """The random router's exact expectation: sending a random share f of the rows to the strong
    model gives, in expectation, accuracy weak + f·(strong − weak) and cost weak + f·(strong −
    weak), so its curve is the straight line between all-weak and all-strong (APGR 0.5)."""
    with_costs = weak_total_cost is not None and strong_total_cost is not None
    points = []
    for step in range(bins + 1):
        share = step / bins
        cost = None
        if with_costs:
            assert weak_total_cost is not None and strong_total_cost is not None
            cost = weak_total_cost + share * (strong_total_cost - weak_total_cost)
        accuracy = weak_accuracy + share * (strong_accuracy - weak_accuracy)
        points.append(CurvePoint(share, accuracy, cost))
    return Curve.of(name, points)
