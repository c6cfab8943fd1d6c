"""Print an evaluation (text or JSON) and write its plot: shared by `eval` and `eval --cascade`."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from asymroute.evaluation.metrics import Curve


def emit_report(
    args: argparse.Namespace,
    curves: Sequence[Curve],
    *,
    weak: tuple[str, float],
    strong: tuple[str, float],
    title: str,
    as_json: dict[str, Any],
    as_text: str,
) -> int:
    if args.plot:
        from asymroute.evaluation.plot import plot_curves

        plot_curves(list(curves), args.plot, weak=weak, strong=strong, title=title)
    if args.json:
        print(json.dumps(as_json, indent=2))
    else:
        print(as_text)
        if args.plot:
            print(f"plot: {args.plot}")
    return 0
