"""Garbage-collector settings for a gateway process asymroute owns (`asymroute serve`).

Why: under load, every request waiting on an upstream call keeps its objects alive long enough
to be promoted to CPython's oldest generation, so full collections come often, and each one
walks every object the process holds, the ~300,000 left by importing LangGraph, LangChain and
the SDKs included. On `bench/gateway_load.py` (200 concurrent, instant upstream) that was 17
full collections of up to 200 ms each per 2,300 requests, over a tenth of the worker's CPU, and
a 200 ms stall for every request in flight. Freezing what startup built takes those objects
out of every later collection; a larger young generation lets most per-request cycles die
before promotion (20,000 and 50,000 measured alike in throughput; 20,000 pauses half as
long, ~26 ms at most). Memory cost: at most one young generation of cyclic garbage waits
longer to be freed; reference counting still frees everything else at once.

Not applied when the app is mounted in someone else's server (`langgraph dev`): the collector
is process-wide, so that is the host's choice.
"""

from __future__ import annotations

import gc

SERVING_THRESHOLDS = (20_000, 50, 100)
"""Young-generation allocations before a collection, then how many young collections per
middle one, and middle per full one (CPython's defaults: 700, 10, 10)."""


def tune_for_serving() -> None:
    """Collect once, freeze everything alive (startup's objects), raise the thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_THRESHOLDS)
