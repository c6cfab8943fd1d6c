"""What a cascade replay reports (`asymroute eval --cascade`, bench/cascade_quality.py): the
figures per router, as JSON and as the text table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asymroute.evaluation.evaluate import quality_cells, quality_header
from asymroute.evaluation.metrics import RouterReport


@dataclass(frozen=True)
class CascadeReport:
    n: int
    weak: str
    strong: str
    weak_accuracy: float
    strong_accuracy: float
    validators: tuple[str, ...]
    scorer_evaluation: str
    cost_source: str
    reports: list[RouterReport]
    """Pre-route classifier alone, the cascade(s), the oracle."""
    savings_at_frontier_quality: dict[str, float | None]
    operating_point: dict[str, float]
    """The cascade at the policy's own thresholds: escalation rate, accuracy, cost ratio."""

    def as_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "weak": {"model": self.weak, "accuracy": self.weak_accuracy},
            "strong": {"model": self.strong, "accuracy": self.strong_accuracy},
            "validators": list(self.validators),
            "scorer_evaluation": self.scorer_evaluation,
            "cost_source": self.cost_source,
            "operating_point": self.operating_point,
            "routers": [
                r.as_json() | {"saving_at_95pct_frontier": self.savings_at_frontier_quality[r.name]}
                for r in self.reports
            ],
        }


def format_cascade_report(report: CascadeReport) -> str:
    width = max(30, *(len(r.name) for r in report.reports))
    lines = [
        f"{report.n} rows; weak {report.weak} accuracy {report.weak_accuracy:.3f}, "
        f"strong {report.strong} accuracy {report.strong_accuracy:.3f}",
        f"{quality_header(width)} {'cost@95%gap':>12} {'cost@95%frontier':>17}",
    ]
    for r in report.reports:
        saving = report.savings_at_frontier_quality[r.name]
        lines.append(
            f"{quality_cells(r, width)} {_ratio(r.cost_saving_95):>12} {_ratio(saving):>17}"
        )
    op = report.operating_point
    ratio = op["frontier_only_cost_usd"] / op["cost_usd"] if op["cost_usd"] else float("inf")
    lines += [
        f"at the policy's thresholds: escalation rate {op['escalation_rate']:.1%}, accuracy "
        f"{op['accuracy']:.3f}, cost ${op['cost_usd']:.4f} vs frontier-only "
        f"${op['frontier_only_cost_usd']:.4f} ({ratio:.2f}x cheaper)",
        "cost@Q: how many times cheaper than frontier-only where accuracy first reaches "
        "weak + 95% of the gap (95%gap) or 95% of the frontier's accuracy (95%frontier)",
        f"scorer: {report.scorer_evaluation}",
        f"costs: {report.cost_source}",
    ]
    return "\n".join(lines)


def _ratio(saving: float | None) -> str:
    if saving is None:
        return "n/a"
    return "inf" if saving >= 1 else f"{1 / (1 - saving):.2f}x"
