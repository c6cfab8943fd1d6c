"""Routing facts attached to the current LangSmith run (tags and metadata)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asymroute.records import FRONTIER_FAILED, FRONTIER_UNAVAILABLE


def routing_tags(metadata: Mapping[str, Any]) -> list[str]:
    """Filterable tags: `tier:local`, `model:...`, `escalated`, `frontier_unavailable`, ..."""
    tags = [f"{key}:{metadata[key]}" for key in ("tier", "model") if metadata.get(key)]
    tags += [
        flag for flag in ("escalated", FRONTIER_UNAVAILABLE, FRONTIER_FAILED) if metadata.get(flag)
    ]
    return tags


def annotate_current_run(**metadata: Any) -> None:
    """Add metadata and tags to the run being traced, if tracing is on; a no-op otherwise."""
    from langsmith.run_helpers import get_current_run_tree

    run = get_current_run_tree()
    if run is None:
        return
    clean = {key: value for key, value in metadata.items() if value is not None}
    run.metadata.update(clean)
    run.tags = sorted(set(run.tags or []) | set(routing_tags(clean)))
