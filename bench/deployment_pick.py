"""What a model list costs per request: picking a deployment (least in-flight, weights,
concurrency caps, breaker checks) and recording it, against a tier with no model list.

    python bench/deployment_pick.py [--n 2000] [--rounds 5]

Instant in-process models (bench/router_overhead.py's `instant:` provider), every request
routed to the frontier, driven with `graph.ainvoke` as the gateway does. Three routers in the
same process, measured in interleaved rounds (so drift on a shared machine hits all alike):

- no list: `frontier_model="instant:frontier"`, the zero-config tier of one deployment;
- list, 1 deployment: a model list whose frontier tier is one listed deployment;
- list, 3 + 1: a group of three equal deployments (weights, `max_concurrency`) and a fallback.

Printed: per-request wall p50/p95 and CPU, and the ratio of each to "no list"; then the pure
pick alone (`deployments.call_order` plus the in-flight count), in microseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from asymroute.context import RouterContext  # noqa: E402
from asymroute.deployments import InFlight, call_order  # noqa: E402
from asymroute.graphs.router import build_router  # noqa: E402
from asymroute.model_list import load_model_list  # noqa: E402
from asymroute.providers import PROVIDERS  # noqa: E402
from asymroute.settings import Settings  # noqa: E402
from bench.router_overhead import FRONTIER_PRICE, InstantProvider  # noqa: E402

PROMPT = "Analyze and debug this parser, then refactor it."
ONE = """
deployments:
  - {id: only, provider: instant, model: frontier}
tiers: {frontier: [only]}
"""
GROUP = """
deployments:
  - {id: a, provider: instant, model: frontier, weight: 2, max_concurrency: 64}
  - {id: b, provider: instant, model: frontier, weight: 1, max_concurrency: 64}
  - {id: c, provider: instant, model: frontier, weight: 1, max_concurrency: 64}
  - {id: backup, provider: instant, model: frontier}
tiers: {frontier: [[a, b, c], backup]}
"""


def router(directory: Path, listed: str | None) -> Any:
    overrides: dict[str, Any] = {"price_overrides": {"instant:frontier": FRONTIER_PRICE}}
    context = RouterContext(local_model="instant:local", threshold=0.0)
    if listed is None:
        context = RouterContext(
            local_model="instant:local", frontier_model="instant:frontier", threshold=0.0
        )
    else:
        path = directory / f"models-{abs(hash(listed))}.yaml"
        path.write_text(listed)
        overrides["model_list_path"] = path
    return build_router(Settings(_env_file=None, **overrides), context)  # type: ignore[call-arg]


async def timed(graph: Any, n: int) -> tuple[list[float], float]:
    timings = []
    cpu = time.process_time()
    for _ in range(n):
        started = time.perf_counter()
        await graph.ainvoke({"messages": [("user", PROMPT)]})
        timings.append((time.perf_counter() - started) * 1000)
    return timings, (time.process_time() - cpu) * 1000 / n


async def measure(graphs: dict[str, Any], n: int, rounds: int) -> dict[str, tuple[list, list]]:
    for graph in graphs.values():
        await timed(graph, 100)  # warm-up on this loop: models are built on first use
    results: dict[str, tuple[list, list]] = {label: ([], []) for label in graphs}
    for _ in range(rounds):
        for label, graph in graphs.items():
            timings, cpu = await timed(graph, n // rounds)
            results[label][0].extend(timings)
            results[label][1].append(cpu)
    return results


def pick_alone(n: int) -> float:
    """Microseconds per pick of the 3 + 1 tier: order, take a slot, give it back."""
    tier = load_model_list(write_temp(GROUP)).tiers["frontier"]
    in_flight, rng = InFlight(), random.Random(0)
    started = time.perf_counter()
    for _ in range(n):
        order = call_order(tier, in_flight.snapshot(), lambda d: False, rng)
        first = order[0].deployment
        in_flight.try_acquire(first)
        in_flight.release(first)
    return (time.perf_counter() - started) * 1e6 / n


def write_temp(text: str) -> Path:
    path = Path(tempfile.mkdtemp()) / "models.yaml"
    path.write_text(text)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    PROVIDERS["instant"] = InstantProvider()
    with tempfile.TemporaryDirectory() as directory:
        graphs = {
            "no list": router(Path(directory), None),
            "list, 1 deployment": router(Path(directory), ONE),
            "list, 3 + 1 fallback": router(Path(directory), GROUP),
        }
        results = asyncio.run(measure(graphs, args.n, args.rounds))
    base_p50 = statistics.median(results["no list"][0])
    base_cpu = statistics.fmean(results["no list"][1])
    print(f"{args.n} sequential ainvokes per router (frontier route, instant models), ")
    print(f"{args.rounds} interleaved rounds")
    columns = ("p50 ms", "p95 ms", "cpu ms", "p50 ratio", "cpu ratio")
    print(f"{'tier':<22} " + " ".join(f"{c:>{10 if 'ratio' in c else 8}}" for c in columns))
    for label, (timings, cpus) in results.items():
        p95 = statistics.quantiles(timings, n=100)[94]
        p50, cpu = statistics.median(timings), statistics.fmean(cpus)
        print(
            f"{label:<22} {p50:>8.3f} {p95:>8.3f} {cpu:>8.3f} "
            f"{p50 / base_p50:>10.3f} {cpu / base_cpu:>10.3f}"
        )
    print(f"pick alone (3 + 1 tier): {pick_alone(100_000):.2f} us per request")


if __name__ == "__main__":
    main()
