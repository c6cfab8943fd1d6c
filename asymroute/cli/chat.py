"""`asymroute chat`: an interactive conversation on a checkpointed, resumable thread.

Reads one user message per line (stdin may be a pipe); `/quit` or end of input stops.
Each turn prints the answer and its route; `--thread ID` continues an earlier conversation.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from asymroute.cli.ask import add_context_arguments
from asymroute.cli.run_workflow import add_budget_arguments, routing_context, thread_config
from asymroute.context import FOLLOWUP_POLICIES
from asymroute.errors import BudgetExceededError, InvalidRequestError, NoAnswerError

QUIT = "/quit"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "chat", help="talk on a resumable thread; every turn is routed in context"
    )
    parser.add_argument("--thread", help="continue this thread (default: a new one)")
    parser.add_argument("--json", action="store_true", help="print each turn's record as JSON")
    parser.add_argument(
        "--followup-policy", choices=FOLLOWUP_POLICIES, help="routing of short follow-ups"
    )
    add_context_arguments(parser)
    add_budget_arguments(parser)
    parser.set_defaults(handler=run)


def _lines() -> Any:
    interactive = sys.stdin.isatty()
    while True:
        try:
            line = input("you> ") if interactive else sys.stdin.readline()
        except EOFError:
            return
        if not interactive and line == "":
            return
        line = line.strip()
        if line == QUIT:
            return
        if line:
            yield line


def run(args: argparse.Namespace) -> int:
    from langchain_core.messages import HumanMessage

    from asymroute.checkpoints import open_checkpointer
    from asymroute.route_records import route_line, totals_line
    from asymroute.settings import load_settings
    from graphs.chat import build_chat

    settings = load_settings()
    context = routing_context(args)
    config = thread_config(args.thread)
    thread = config["configurable"]["thread_id"]
    failed = 0
    with open_checkpointer(settings) as checkpointer:
        graph = build_chat(settings, context, checkpointer)
        earlier = graph.get_state(config).values
        print(f"[asymroute] thread {thread} (resume with: asymroute chat --thread {thread})")
        if earlier.get("turns"):
            print(f"[asymroute] resumed: {len(earlier['turns'])} turns so far, "
                  f"{totals_line(earlier['totals'])}")  # fmt: skip
        for line in _lines():
            try:
                turn: Any = {"messages": [HumanMessage(line)]}
                state = graph.invoke(turn, config, context=context, durability="sync")
            except (BudgetExceededError, NoAnswerError, InvalidRequestError) as exc:
                # The conversation goes on: one refused turn is not the end of the session.
                print(f"asymroute: error: {exc}", file=sys.stderr, flush=True)
                failed += 1
                continue
            record = state["turns"][-1]
            if args.json:
                print(json.dumps({"thread_id": thread, **record, "totals": state["totals"]}))
            else:
                print(record["answer"])
                print(f"[asymroute] turn {record['turn']} | {route_line(record)}")
                print(f"[asymroute] thread {totals_line(state['totals'])}")
            sys.stdout.flush()
    return 1 if failed else 0
