"""The `asymroute` command line: one module per subcommand, registered in `COMMANDS`.

A subcommand module exposes `register(subparsers) -> None`, which adds its parser and sets
`handler=<callable(args) -> int>` as the parser default. Adding a command is one new module
plus one line here.

Layer: the roof; the CLI may import everything below, including `asymroute.graphs` and the
gateway (for `serve`).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from asymroute.errors import (
    AsymrouteError,
    ConfigurationError,
    FrontierUnavailableError,
    InvalidRequestError,
)

EXIT_FAILED = 1
EXIT_USAGE = 2

COMMANDS: tuple[str, ...] = (
    "ask",
    "run_workflow",
    "chat",
    "eval",
    "train",
    "calibrate",
    "serve",
    "models",
)
"""Subcommand modules under `asymroute.cli`, in the order `--help` lists them."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("asymroute")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asymroute", description="Route each request to the smallest competent model."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"asymroute.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _tolerate_unencodable_output()
    logging.basicConfig(level=logging.WARNING, format="asymroute: %(levelname)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
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


def _tolerate_unencodable_output() -> None:
    """Arguments may hold lone surrogates (bytes the locale could not decode); echoing them in
    an answer or an error message must not crash the command."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def _flush_traces() -> None:
    """A short-lived process must send its LangSmith runs before it exits."""
    from langchain_core.tracers.langchain import wait_for_all_tracers

    wait_for_all_tracers()
