"""Accuracy-vs-strong-call curves as a PNG (matplotlib, Agg backend, imported only here).

    plot_curves([router_curve, random_curve, oracle_curve], "out.png",
                weak=("mixtral", 0.68), strong=("gpt-4", 0.81), title="MMLU")

Each `Curve` is drawn as a line with its points; `weak` and `strong` are dashed horizontal
reference lines labeled with the model name and accuracy.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from asymroute.errors import ConfigurationError
from asymroute.evaluation.metrics import Curve


def plot_curves(
    curves: Sequence[Curve],
    path: str | Path,
    *,
    weak: tuple[str, float] | None = None,
    strong: tuple[str, float] | None = None,
    title: str = "Accuracy vs strong-model calls",
) -> Path:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigurationError(
            "--plot needs matplotlib; install it with: pip install 'asymroute[plot]'"
        ) from None
    out = Path(path)
    if not out.parent.exists():
        raise ConfigurationError(f"cannot write plot {out}: directory {out.parent} does not exist")
    figure, axes = plt.subplots(figsize=(8, 5))
    try:
        for curve in curves:
            axes.plot(
                [100 * p.strong_fraction for p in curve.points],
                [100 * p.accuracy for p in curve.points],
                marker=".",
                label=curve.name,
            )
        for reference, color in ((weak, "grey"), (strong, "red")):
            if reference is not None:
                name, accuracy = reference
                axes.axhline(
                    100 * accuracy, color=color, linestyle="--", label=f"{name} ({accuracy:.3f})"
                )
        axes.set_xlabel("Strong-model calls (%)")
        axes.set_ylabel("Accuracy (%)")
        axes.set_title(title)
        axes.grid(alpha=0.3)
        axes.legend(loc="lower right", fontsize="small")
        figure.tight_layout()
        figure.savefig(out, dpi=100)
    finally:
        plt.close(figure)
    return out
