"""Run a workflow on a checkpointed thread in its own process, for the crash-and-resume test.

    python tests/support/workflow_runner.py THREAD TASK STEP...

Settings come from the environment (ASYMROUTE_CHECKPOINT_PATH, OPENAI_BASE_URL, ...) and the
routing context from ASYMROUTE_TEST_CONTEXT (JSON). Prints one `STEP <json>` line per
completed step. The test hook: with ASYMROUTE_TEST_HANG_AFTER_STEP=N the process prints
`HANGING` once step N's checkpoint is written and then hangs (never starting step N+1's
calls) until it is killed, like a worker that dies mid-run. It is test code, not product code.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from asymroute.checkpoints import open_checkpointer
from asymroute.context import RouterContext
from asymroute.graphs.router import build_router
from asymroute.graphs.workflow import build_workflow
from asymroute.settings import load_settings


def main() -> None:
    thread, task, *steps = sys.argv[1:]
    hang_after = int(os.environ.get("ASYMROUTE_TEST_HANG_AFTER_STEP", "0"))
    context = RouterContext(**json.loads(os.environ.get("ASYMROUTE_TEST_CONTEXT", "{}")))
    settings = load_settings()
    config = {"configurable": {"thread_id": thread}}
    with open_checkpointer(settings) as checkpointer:
        graph = build_workflow(build_router(settings, context), checkpointer)
        for update in graph.stream(
            {"task": task, "steps": steps},
            config,  # type: ignore[arg-type]
            context=context,
            stream_mode="updates",
            durability="sync",  # the step's checkpoint is written before the update arrives
        ):
            for record in update.get("run_step", {}).get("step_results", []):
                print("STEP " + json.dumps(record), flush=True)
                if record["index"] == hang_after:
                    print("HANGING", flush=True)
                    time.sleep(3600)


if __name__ == "__main__":
    main()
