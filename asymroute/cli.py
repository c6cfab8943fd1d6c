"""The `asymroute` command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import replace

from langchain_core.messages import HumanMessage

from asymroute.context import RouterContext
from asymroute.errors import (
    AsymrouteError,
    ConfigurationError,
    FrontierUnavailableError,
    InvalidRequestError,
)

EXIT_FAILED = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asymroute", description="Route each request to the smallest competent model."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="answer one prompt and report the route and its cost")
    ask.add_argument("prompt", help="the request text")
    ask.add_argument("--json", action="store_true", help="print the whole result as JSON")
    ask.add_argument("--local-model", help="local tier, e.g. ollama:llama3.1:8b")
    ask.add_argument("--frontier-model", help="frontier tier, e.g. openai:gpt-4o-mini")
    ask.add_argument("--classifier", help="complexity classifier: heuristic, keywords")
    ask.add_argument("--threshold", type=float, help="score at or above which to use the frontier")
    ask.add_argument("--max-tokens", type=int, dest="max_output_tokens", help="max output tokens")
    ask.add_argument("--temperature", type=float)
    ask.add_argument("--no-validate", action="store_true", help="skip checking local answers")
    ask.add_argument(
        "--strict", action="store_true", help="fail instead of answering locally without a frontier"
    )
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("asymroute")
    except PackageNotFoundError:
        return "unknown"


def _context(args: argparse.Namespace) -> RouterContext:
    overrides = {
        name: getattr(args, name)
        for name in (
            "local_model",
            "frontier_model",
            "classifier",
            "threshold",
            "max_output_tokens",
            "temperature",
        )
        if getattr(args, name) is not None
    }
    if args.no_validate:
        overrides["validate"] = False
    if args.strict:
        overrides["strict"] = True
    return replace(RouterContext(), **overrides)


def _ask(args: argparse.Namespace) -> int:
    from asymroute.results import result_json, summary_line
    from graphs.router import build_router

    context = _context(args)
    graph = build_router(defaults=context)
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


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="asymroute: %(levelname)s: %(message)s")
    args = _parser().parse_args(argv)
    try:
        return _ask(args)
    except (InvalidRequestError, ConfigurationError, FrontierUnavailableError) as exc:
        print(f"asymroute: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AsymrouteError as exc:
        print(f"asymroute: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    finally:
        _flush_traces()


def _flush_traces() -> None:
    """A short-lived process must send its LangSmith runs before it exits."""
    from langchain_core.tracers.langchain import wait_for_all_tracers

    wait_for_all_tracers()


if __name__ == "__main__":
    sys.exit(main())
