"""`asymroute eval DATA... --weak COL --strong COL`: routing quality on labeled data, offline."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from asymroute.classifiers import Classifier, get_classifier
from asymroute.evaluation.cascade_cli import add_cascade_arguments
from asymroute.evaluation.datasets import DatasetError, LabeledData, list_models, load_labeled
from asymroute.evaluation.output import emit_report


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="measure routing quality (APGR, CPT) on labeled data, without model calls",
        description="Score labeled prompts with a router and report RouteLLM's metrics "
        "(APGR, CPT(50%%), CPT(80%%), cost saving at 95%% quality) next to random and oracle.",
    )
    add_data_arguments(parser)
    parser.add_argument(
        "--router",
        action="append",
        dest="routers",
        metavar="NAME",
        help="classifier to evaluate (repeatable): learned (default), heuristic, keywords, "
        "learned:FILE or a trained FILE.json",
    )
    parser.add_argument("--json", action="store_true", help="print every figure as JSON")
    parser.add_argument("--plot", metavar="PNG", help="write the accuracy-vs-calls curve here")
    add_cascade_arguments(parser)
    parser.set_defaults(handler=run)


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """DATA plus the model pair: shared by eval and train."""
    parser.add_argument("data", nargs="+", help="labeled CSV files or directories")
    parser.add_argument("--weak", help="column of the weak (cheap) model")
    parser.add_argument("--strong", help="column of the strong (frontier) model")


def load_pair(args: argparse.Namespace) -> LabeledData:
    if not args.weak or not args.strong:
        models = list_models(args.data)
        raise DatasetError(
            "choose the model pair with --weak and --strong; available: "
            + (", ".join(models) or "none (no model columns found)")
        )
    return load_labeled(args.data, args.weak, args.strong)


def classifier_for(name: str) -> Classifier:
    """A registered name, `learned:FILE`, or a bare path to a trained `.json` file."""
    if name.endswith(".json") and ":" not in name:
        name = f"learned:{name}"
    return get_classifier(name)


def run(args: argparse.Namespace) -> int:
    from asymroute.evaluation.evaluate import evaluate, format_report, score_prompts

    classifiers = [classifier_for(name) for name in args.routers or ["learned"]]
    if args.plot and not Path(args.plot).resolve().parent.is_dir():
        raise DatasetError(f"cannot write --plot {args.plot}: its directory does not exist")
    data = load_pair(args)
    scores = {c.name: score_prompts(c, data.prompts) for c in classifiers}
    if args.cascade:
        from asymroute.evaluation.cascade_cli import print_cascade

        return print_cascade(args, data, scores)
    report = evaluate(data, scores)
    return emit_report(
        args,
        [r.curve for r in report.routers],
        weak=(data.weak, data.weak_accuracy),
        strong=(data.strong, data.strong_accuracy),
        title=f"Routing quality on {len(data)} prompts",
        as_json=report.as_json(),
        as_text=format_report(report),
    )
