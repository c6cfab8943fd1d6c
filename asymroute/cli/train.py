"""`asymroute train DATA... --weak COL --strong COL -o router.json`: fit a router to your data."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from asymroute.cli.eval import add_data_arguments, add_embedder_argument, load_pair
from asymroute.errors import ConfigurationError
from asymroute.learning.trainers import TRAINERS, TrainOptions, get_trainer

ROUTER_TARGETS = {"embedding": "embedding", "learned": "prompt"}
DEFAULT_TARGET = "embedding"
"""The default classifier's trainer: `asymroute train DATA` fits the router that runs by default."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a router on labeled data (then use it with --classifier embedding:FILE)",
    )
    add_data_arguments(parser)
    parser.add_argument("-o", "--output", required=True, help="router file to write (.json)")
    parser.add_argument(
        "--target",
        help=f"what to train: {', '.join(sorted(TRAINERS))} (default: {DEFAULT_TARGET}, the "
        "default classifier's router)",
    )
    parser.add_argument(
        "--router",
        choices=sorted(ROUTER_TARGETS),
        help="which router to train: embedding (the default: sentence embedding + labelled "
        "neighbours) or learned (dense prompt features); the same as --target embedding|prompt",
    )
    add_embedder_argument(parser)
    parser.add_argument(
        "--l2", type=float, help="learned router and answer scorer: one regularisation strength"
    )
    parser.add_argument(
        "--recipe",
        help="learned router: a fixed recipe such as words+dense/gain/l2=0.01 instead of "
        "choosing one by cross-validation",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    target = ROUTER_TARGETS[args.router] if args.router else (args.target or DEFAULT_TARGET)
    if args.embedder is not None and target != "embedding":
        raise ConfigurationError("--embedder needs --router embedding")
    if target == "embedding" and (args.l2 is not None or args.recipe is not None):
        # The embedding trainer chooses its head and l2 by inner cross-validation.
        flag = "--l2" if args.l2 is not None else "--recipe"
        raise ConfigurationError(
            f"{flag} applies to --router learned (or --target answer); the embedding router "
            "chooses its recipe by inner cross-validation"
        )
    trainer = get_trainer(target)
    output = Path(args.output)
    if not output.resolve().parent.is_dir():
        raise ConfigurationError(f"cannot write {output}: its directory does not exist")
    if args.l2 is not None and not args.l2 >= 0:
        raise ConfigurationError(f"--l2 must be a non-negative number, got {args.l2}")
    if args.recipe is not None:
        _check_recipe(args.recipe)
    data = load_pair(args)
    options = TrainOptions(seed=args.seed, l2=args.l2, recipe=args.recipe, embedder=args.embedder)
    model = trainer(data, options)
    meta = getattr(model, "meta", None)
    if isinstance(meta, dict):
        meta["training_command"] = "asymroute " + shlex.join(sys.argv[1:])
        meta["skipped"] = data.skipped
    model.save(output)
    print(model.summary())
    usage = (
        f"RouterContext(scorer_model={str(output)!r}) with the scorer validator"
        if target == "answer"
        else f"--classifier {'embedding' if target == 'embedding' else 'learned'}:{output}"
    )
    print(f"wrote {output}; use it with {usage}")
    return 0


def _check_recipe(text: str) -> None:
    from asymroute.learning.recipes import Recipe

    try:
        Recipe.parse(text)
    except ValueError as exc:
        raise ConfigurationError(f"--recipe: {exc}") from exc
