"""`asymroute run-workflow TASK`: plan, route every step on its own, print each as it lands.

The run is checkpointed (SQLite by default, Postgres with ASYMROUTE_POSTGRES_URL) on a
thread; `asymroute run-workflow --thread ID` resumes an interrupted run where it stopped.
"""

from __future__ import annotations

import argparse
import json
import uuid
from dataclasses import replace
from typing import Any

from langchain_core.runnables import RunnableConfig

from asymroute.checkpoints import open_checkpointer
from asymroute.cli.ask import add_context_arguments, context_from_args
from asymroute.cli.workflow_output import print_event, print_summary
from asymroute.context import BUDGET_POLICIES, RouterContext
from asymroute.errors import InvalidRequestError
from asymroute.graphs.served import ServedGraphs
from asymroute.settings import load_settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run-workflow",
        help="run a multi-step task, routing every step on its own",
        description="Plan a task (or take --step ...), route each step to the smallest "
        "competent model, synthesize. Resume an interrupted run with --thread ID alone.",
    )
    parser.add_argument("task", nargs="?", help="the task; leave out with --thread to resume")
    parser.add_argument(
        "--step", action="append", dest="steps", help="a step of your own plan (repeatable)"
    )
    parser.add_argument("--max-steps", type=int, help="cap on a generated plan (default 5)")
    parser.add_argument("--thread", help="thread id: resume it, or run a new task on it")
    parser.add_argument("--json", action="store_true", help="print the final state as JSON")
    add_context_arguments(parser)
    add_budget_arguments(parser)
    parser.set_defaults(handler=run)


def add_budget_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--budget-thread", type=float, help="frontier budget per thread, USD")
    parser.add_argument("--budget-run", type=float, help="frontier budget per run, USD")
    parser.add_argument(
        "--budget-policy", choices=BUDGET_POLICIES, help="over budget: downgrade or refuse"
    )


def routing_context(args: argparse.Namespace) -> RouterContext:
    overrides: dict[str, Any] = {}
    for flag, name in (
        ("budget_thread", "budget_per_thread_usd"),
        ("budget_run", "budget_per_run_usd"),
        ("budget_policy", "budget_policy"),
        ("followup_policy", "followup_policy"),
    ):
        if getattr(args, flag, None) is not None:
            overrides[name] = getattr(args, flag)
    return replace(context_from_args(args), **overrides)


def thread_config(thread: str | None) -> RunnableConfig:
    return {"configurable": {"thread_id": thread or uuid.uuid4().hex[:12]}}


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    context = routing_context(args)
    config = thread_config(args.thread)
    thread = config["configurable"]["thread_id"]
    with open_checkpointer(settings) as checkpointer:
        graph = ServedGraphs.build(settings, context).workflow(checkpointer)
        if args.task is None:
            if args.thread is None:
                raise InvalidRequestError("give a task, or --thread ID to resume a workflow")
            if not graph.get_state(config).next:
                raise InvalidRequestError(
                    f"thread {thread} has no interrupted workflow to resume; give a task"
                )
            workflow_input: Any = None
            print(f"[asymroute] resuming thread {thread}", flush=True)
        else:
            workflow_input = {"task": args.task}
            if args.steps:
                workflow_input["steps"] = args.steps
            if args.max_steps is not None:
                workflow_input["max_steps"] = args.max_steps
            print(f"[asymroute] thread {thread} (resume with --thread {thread})", flush=True)
        # durability="sync": a step's checkpoint is on disk before the next step starts, so a
        # crash never repeats a step that was already paid for.
        for event in graph.stream(
            workflow_input, config, context=context, stream_mode="custom", durability="sync"
        ):
            if not args.json:
                print_event(event)
        state = graph.get_state(config).values
    if args.json:
        print(json.dumps({"thread_id": thread, **state}, indent=2, default=str))
    else:
        print_summary(state)
    return 0
