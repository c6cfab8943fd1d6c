"""`asymroute calibrate PROMPTS --router NAME --strong-share 0.3`: the threshold for a cost target.

The threshold is the (1 − share) quantile of the router's scores on your prompts, as RouteLLM
calibrates: routing `score >= threshold` to the frontier then sends that share of this traffic.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from asymroute.cli.eval import add_embedder_argument, classifier_for
from asymroute.context import RouterContext
from asymroute.errors import ConfigurationError
from asymroute.evaluation.prompts import load_prompts


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "calibrate", help="threshold that sends a given share of your prompts to the frontier"
    )
    parser.add_argument(
        "prompts", nargs="+", help="prompt files: CSV with a prompt column, JSONL, or text lines"
    )
    parser.add_argument(
        "--router", default=RouterContext().classifier, help="classifier (default: the default)"
    )
    add_embedder_argument(parser)
    parser.add_argument(
        "--strong-share", type=float, required=True, help="share of prompts for the frontier, 0..1"
    )
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=run)


def calibrated_threshold(scores: np.ndarray, strong_share: float) -> float:
    """The (1 − share) quantile of the scores."""
    return float(np.quantile(np.asarray(scores, dtype=float), 1.0 - strong_share))


def run(args: argparse.Namespace) -> int:
    from asymroute.evaluation.evaluate import score_prompts

    share = args.strong_share
    if not 0.0 <= share <= 1.0:
        raise ConfigurationError(f"--strong-share must be within [0, 1], got {share}")
    classifier = classifier_for(args.router, args.embedder)
    prompts = load_prompts(args.prompts)
    scores = score_prompts(classifier, prompts)
    threshold = calibrated_threshold(scores, share)
    achieved = float(np.mean(scores >= threshold))
    if args.json:
        print(
            json.dumps(
                {
                    "router": classifier.name,
                    "strong_share": share,
                    "threshold": threshold,
                    "achieved_share": achieved,
                    "n": len(prompts),
                }
            )
        )
    else:
        print(
            f"threshold {threshold:.6f}: {achieved:.1%} of {len(prompts)} prompts score at or "
            f"above it and go to the frontier (asked for {share:.1%})"
        )
        print(f"use: --classifier {classifier.name} --threshold {threshold:.6f}")
    return 0
