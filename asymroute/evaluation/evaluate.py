"""A whole offline evaluation: score the prompts with each router, add baselines, report.

    scores = {"learned": score_prompts(get_classifier("learned"), data.prompts)}
    report = evaluate(data, scores)
    print(format_report(report)); json.dumps(report.as_json())

`evaluate` adds the `random` (its exact expectation: the straight line from all-weak to
all-strong, APGR 0.5) and `oracle` (strong exactly where it helps) baselines; costs are
recorded or estimated by `costs.row_costs`. The headline cost figure is the saving at 95% of
the strong model's accuracy (`saving_at_95_strong`, also as "N.Nx cheaper").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from asymroute.classifiers import Classifier
from asymroute.evaluation.costs import RowCosts, row_costs
from asymroute.evaluation.datasets import LabeledData
from asymroute.evaluation.metrics import (
    RouterReport,
    oracle_scores,
    random_curve,
    summarize,
    threshold_curve,
)
from asymroute.evaluation.progress import Progress

FloatArray = npt.NDArray[np.float64]
BASELINES = ("random", "oracle")


@dataclass(frozen=True)
class EvaluationReport:
    n: int
    skipped: int
    weak: str
    strong: str
    weak_accuracy: float
    strong_accuracy: float
    cost_source: str | None
    routers: list[RouterReport]
    """The routers asked for, then the baselines."""

    def as_json(self) -> dict[str, Any]:
        first = self.routers[0]
        return {
            "n": self.n,
            "skipped": self.skipped,
            "weak": {"model": self.weak, "accuracy": self.weak_accuracy},
            "strong": {"model": self.strong, "accuracy": self.strong_accuracy},
            "cost_source": self.cost_source,
            # The first router's headline figures at top level, for scripts.
            "router": first.name,
            "apgr": first.apgr,
            "cpt50": first.cpt50,
            "cpt80": first.cpt80,
            "cost_saving_95": first.cost_saving_95,
            "saving_at_95_strong": first.saving_at_95_strong,
            "cheaper_at_95_strong": first.cheaper_at_95_strong,
            "routers": [r.as_json() for r in self.routers],
        }


def score_prompts(
    classifier: Classifier, prompts: Sequence[str], *, show_progress: bool = True
) -> FloatArray:
    """Each prompt's score, with a progress bar on stderr when it is a terminal."""
    fast = getattr(classifier, "score_value", None)
    batched = getattr(classifier, "score_many", None)
    scores = np.empty(len(prompts))
    label = f"scoring with {classifier.name}"
    with Progress(len(prompts), label, enabled=None if show_progress else False) as bar:
        if batched is not None:
            return np.asarray(batched(list(prompts), bar.advance), dtype=float)
        for i, prompt in enumerate(prompts):
            scores[i] = fast(prompt) if fast is not None else classifier.score(prompt).score
            bar.advance()
    return scores


def evaluate(
    data: LabeledData,
    scores: Mapping[str, FloatArray],
    *,
    costs: RowCosts | None = None,
    baselines: bool = True,
) -> EvaluationReport:
    costs = costs if costs is not None else row_costs(data)
    weak_cost = costs.weak if costs else None
    strong_cost = costs.strong if costs else None
    all_strong = float(strong_cost.sum()) if strong_cost is not None else None
    named = dict(scores)
    if baselines:
        named["oracle"] = oracle_scores(data.weak_correct, data.strong_correct)
    curves = [
        threshold_curve(
            name, values, data.weak_correct, data.strong_correct, weak_cost, strong_cost
        )
        for name, values in named.items()
    ]
    if baselines:
        weak_total = float(weak_cost.sum()) if weak_cost is not None else None
        expected = random_curve(data.weak_accuracy, data.strong_accuracy, weak_total, all_strong)
        curves.insert(len(scores), expected)
    reports = [
        summarize(curve, data.weak_accuracy, data.strong_accuracy, all_strong) for curve in curves
    ]
    return EvaluationReport(
        n=len(data),
        skipped=data.skipped,
        weak=data.weak,
        strong=data.strong,
        weak_accuracy=data.weak_accuracy,
        strong_accuracy=data.strong_accuracy,
        cost_source=costs.source if costs else None,
        routers=reports,
    )


def format_share(value: float | None) -> str:
    """A share of strong calls (CPT), or `never` when the curve never gets there."""
    return "never" if value is None else f"{value:.1%}"


def quality_header(width: int) -> str:
    """The columns every router table starts with: name, APGR, CPT(50%), CPT(80%)."""
    return f"{'router':<{width}} {'APGR':>6} {'CPT(50%)':>9} {'CPT(80%)':>9}"


def quality_cells(router: RouterReport, width: int) -> str:
    return (
        f"{router.name:<{width}} {router.apgr:>6.3f} {format_share(router.cpt50):>9} "
        f"{format_share(router.cpt80):>9}"
    )


def format_saving(saving: float | None, ratio: float | None) -> str:
    """`3.1x cheaper (-68%)`, or `never` / `n/a`."""
    if saving is None or ratio is None:
        return "n/a"
    return f"{ratio:.2f}x cheaper ({saving:.0%})"


def format_report(report: EvaluationReport) -> str:
    width = max(24, *(len(r.name) for r in report.routers))
    lines = [
        f"{report.n} rows ({report.skipped} skipped); weak {report.weak} accuracy "
        f"{report.weak_accuracy:.3f}, strong {report.strong} accuracy {report.strong_accuracy:.3f}",
        f"{quality_header(width)} {'cost@95%strong':>20} {'saving@95%gain':>15}",
    ]
    for r in report.routers:
        lines.append(
            f"{quality_cells(r, width)} "
            f"{format_saving(r.saving_at_95_strong, r.cheaper_at_95_strong):>20} "
            f"{'n/a' if r.cost_saving_95 is None else f'{r.cost_saving_95:.1%}':>15}"
        )
    lines.append(
        "APGR: area under accuracy vs strong-call share, 0 = weak, 1 = strong; CPT(x): share of "
        "strong calls needed for x of the weak->strong gain; cost@95%strong: cheapest point with "
        "accuracy >= 0.95 x strong accuracy vs all-strong; saving@95%gain: at 95% of the gain; "
        "random: exact expectation (straight line)"
    )
    if report.cost_source:
        lines.append(f"costs: {report.cost_source}")
    return "\n".join(lines)
