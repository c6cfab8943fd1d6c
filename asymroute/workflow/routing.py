"""Where the workflow goes after a step."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal


def after_step(state: Mapping[str, Any]) -> Literal["run_step", "synthesize"]:
    done = len(state.get("step_results") or [])
    return "run_step" if done < len(state["steps"]) else "synthesize"
