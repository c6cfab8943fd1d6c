"""`asymroute ask PROMPT`: answer one prompt and report the route and its cost."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from typing import Any

from langchain_core.messages import HumanMessage

from asymroute.context import RouterContext
from asymroute.graphs.served import ServedGraphs
from asymroute.privacy.base import PRIVACY_MODES
from asymroute.records import result_json, summary_line


def register(subparsers: Any) -> None:
    ask = subparsers.add_parser("ask", help="answer one prompt and report the route and its cost")
    ask.add_argument("prompt", help="the request text")
    ask.add_argument("--json", action="store_true", help="print the whole result as JSON")
    add_context_arguments(ask)
    ask.set_defaults(handler=run)


def add_context_arguments(parser: argparse.ArgumentParser) -> None:
    """Routing choices shared by every command that runs the router."""
    parser.add_argument("--local-model", help="local tier, e.g. ollama:llama3.1:8b")
    parser.add_argument("--frontier-model", help="frontier tier, e.g. openai:gpt-4o-mini")
    parser.add_argument(
        "--classifier",
        help="complexity classifier: learned (default), embedding, heuristic, keywords, "
        "or learned:PATH / embedding:PATH for a file written by `asymroute train`",
    )
    parser.add_argument(
        "--threshold", type=float, help="score at or above which to use the frontier"
    )
    parser.add_argument(
        "--max-tokens", type=int, dest="max_output_tokens", help="max output tokens"
    )
    parser.add_argument("--temperature", type=float)
    parser.add_argument("--no-validate", action="store_true", help="skip checking local answers")
    parser.add_argument(
        "--validators",
        type=_names,
        help="comma-separated validators for local answers, e.g. structural,format,scorer",
    )
    parser.add_argument(
        "--privacy",
        choices=PRIVACY_MODES,
        help="sensitive data in the prompt: off, route-local (default), redact-before-frontier",
    )
    parser.add_argument(
        "--strict", action="store_true", help="fail instead of answering locally without a frontier"
    )


def _names(value: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    if not names:
        raise argparse.ArgumentTypeError("give at least one validator name")
    return names


def context_from_args(args: argparse.Namespace) -> RouterContext:
    overrides: dict[str, Any] = {
        name: getattr(args, name)
        for name in (
            "local_model",
            "frontier_model",
            "classifier",
            "threshold",
            "max_output_tokens",
            "temperature",
            "validators",
            "privacy",
        )
        if getattr(args, name, None) is not None
    }
    if "max_output_tokens" in overrides:
        # The user's own cap, as a gateway client's max_tokens: not a defect of the answer.
        overrides["truncation_escalates"] = False
    if getattr(args, "no_validate", False):
        overrides["validate"] = False
    if getattr(args, "strict", False):
        overrides["strict"] = True
    return replace(RouterContext(), **overrides)


def run(args: argparse.Namespace) -> int:
    context = context_from_args(args)
    graph = ServedGraphs.build(defaults=context).router
    started = time.perf_counter()
    state = graph.invoke({"messages": [HumanMessage(args.prompt)]}, context=context)
    latency = time.perf_counter() - started
    result = result_json(state, latency)
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print(result["answer"])
        print(f"[asymroute] {summary_line(state, latency)}")
    return 0
