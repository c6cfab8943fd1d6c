"""`asymroute chat`: an interactive conversation on a checkpointed, resumable thread.

Reads one user message per line (stdin may be a pipe); `/quit` or end of input stops.
Each turn prints the answer and its route; `--thread ID` continues an earlier conversation.
A turn cut off by a crash is settled on start, visibly: resumed (the default) or withdrawn
(`--pending withdraw`), see asymroute.chat_recovery.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from langchain_core.messages import HumanMessage

from asymroute.chat_recovery import find_pending_turn, resume_pending_turn, withdraw_pending_turn
from asymroute.checkpoints import open_checkpointer
from asymroute.cli.ask import add_context_arguments
from asymroute.cli.run_workflow import add_budget_arguments, routing_context, thread_config
from asymroute.context import FOLLOWUP_POLICIES
from asymroute.errors import BudgetExceededError, InvalidRequestError, NoAnswerError
from asymroute.graphs.served import ServedGraphs
from asymroute.records import route_line, totals_line
from asymroute.settings import load_settings

QUIT = "/quit"
PENDING_CHOICES = ("resume", "withdraw")
TURN_ERRORS = (BudgetExceededError, NoAnswerError, InvalidRequestError)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "chat", help="talk on a resumable thread; every turn is routed in context"
    )
    parser.add_argument("--thread", help="continue this thread (default: a new one)")
    parser.add_argument("--json", action="store_true", help="print each turn's record as JSON")
    parser.add_argument(
        "--pending",
        choices=PENDING_CHOICES,
        default="resume",
        help="a turn the last session was cut off in (a crash mid-call): resume it, without "
        "repeating a model call that had finished, or withdraw its question (default: resume)",
    )
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
    settings = load_settings()
    context = routing_context(args)
    config = thread_config(args.thread)
    thread = config["configurable"]["thread_id"]
    failed = 0
    with open_checkpointer(settings) as checkpointer:
        graph = ServedGraphs.build(settings, context).chat(checkpointer)
        earlier = graph.get_state(config).values
        print(f"[asymroute] thread {thread} (resume with: asymroute chat --thread {thread})")
        if earlier.get("turns"):
            print(f"[asymroute] resumed: {len(earlier['turns'])} turns so far, "
                  f"{totals_line(earlier['totals'])}")  # fmt: skip
        if not settle_pending_turn(args, graph, config, context):
            failed += 1
        for line in _lines():
            try:
                turn: Any = {"messages": [HumanMessage(line)]}
                state = graph.invoke(turn, config, context=context, durability="sync")
            except TURN_ERRORS as exc:
                # The conversation goes on: one refused turn is not the end of the session.
                print(f"asymroute: error: {exc}", file=sys.stderr, flush=True)
                failed += 1
                continue
            print_turn(args, thread, state)
    return 1 if failed else 0


def settle_pending_turn(args: argparse.Namespace, graph: Any, config: Any, context: Any) -> bool:
    """Resume or withdraw a turn the last session was cut off in; False if resuming failed."""
    pending = find_pending_turn(graph, config)
    if pending is None:
        return True
    cut = f"[asymroute] turn {pending.turn} was cut off before its answer ({pending.text!r})"
    if args.pending == "withdraw":
        withdraw_pending_turn(graph, config, pending)
        print(f"{cut}: withdrawn; it is not sent again as context", flush=True)
        return True
    print(f"{cut}: resuming it (calls that had finished are not repeated)", flush=True)
    try:
        state = resume_pending_turn(graph, config, context)
    except TURN_ERRORS as exc:
        # The failed turn's message was withdrawn by the chat graph itself (fail_turn).
        print(f"asymroute: error: {exc} (turn {pending.turn} withdrawn)", file=sys.stderr)
        return False
    print_turn(args, config["configurable"]["thread_id"], state)
    return True


def print_turn(args: argparse.Namespace, thread: str, state: Any) -> None:
    record = state["turns"][-1]
    if args.json:
        print(json.dumps({"thread_id": thread, **record, "totals": state["totals"]}))
    else:
        print(record["answer"])
        print(f"[asymroute] turn {record['turn']} | {route_line(record)}")
        print(f"[asymroute] thread {totals_line(state['totals'])}")
    sys.stdout.flush()
