"""`asymroute eval DATA... --weak COL --strong COL`: routing quality on labeled data, offline."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from asymroute.classifiers import Classifier, get_classifier
from asymroute.cli.cascade import add_cascade_arguments
from asymroute.context import RouterContext
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
        help="classifier to evaluate (repeatable): embedding (default), learned, heuristic, "
        "keywords, embedding:FILE, learned:FILE or a trained FILE.json",
    )
    add_embedder_argument(parser)
    parser.add_argument("--json", action="store_true", help="print every figure as JSON")
    parser.add_argument("--plot", metavar="PNG", help="write the accuracy-vs-calls curve here")
    add_cascade_arguments(parser)
    parser.set_defaults(handler=run)


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """DATA plus the model pair: shared by eval and train."""
    parser.add_argument("data", nargs="+", help="labeled CSV files or directories")
    parser.add_argument("--weak", help="column of the weak (cheap) model")
    parser.add_argument("--strong", help="column of the strong (frontier) model")


def add_embedder_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--embedder",
        metavar="NAME",
        help="embedder of embedding routers: minilm (default, in-process), ollama:MODEL, "
        "openai:MODEL; must match the one the router file was trained with",
    )


def load_pair(args: argparse.Namespace) -> LabeledData:
    if not args.weak or not args.strong:
        models = list_models(args.data)
        raise DatasetError(
            "choose the model pair with --weak and --strong; available: "
            + (", ".join(models) or "none (no model columns found)")
        )
    return load_labeled(args.data, args.weak, args.strong)


def classifier_for(name: str, embedder: str | None = None) -> Classifier:
    """A registered name, `NAME:FILE`, or a bare path to a trained `.json` file (its format
    tells which router it is); `embedder` overrides an embedding router's embedder."""
    if name.endswith(".json") and ":" not in name:
        name = f"{_router_kind(Path(name))}:{name}"
    kind, _, path = name.partition(":")
    if embedder is not None and kind == "embedding":
        from asymroute.classifiers.embedding import EmbeddingClassifier

        return EmbeddingClassifier(path or None, embedder)
    return get_classifier(name)


def _router_kind(file: Path) -> str:
    from asymroute.classifiers.embedding_model import FILE_FORMAT

    try:
        with file.open(encoding="utf-8") as handle:
            head = handle.read(4096)
    except OSError:
        return "learned"  # the learned loader reports the missing file
    return "embedding" if f'"{FILE_FORMAT}"' in head else "learned"


def run(args: argparse.Namespace) -> int:
    from asymroute.evaluation.evaluate import evaluate, format_report, score_prompts

    names = args.routers or [RouterContext().classifier]
    classifiers = [classifier_for(name, args.embedder) for name in names]
    if args.plot and not Path(args.plot).resolve().parent.is_dir():
        raise DatasetError(f"cannot write --plot {args.plot}: its directory does not exist")
    data = load_pair(args)
    scores = {c.name: score_prompts(c, data.prompts) for c in classifiers}
    if args.cascade:
        from asymroute.cli.cascade import print_cascade

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
