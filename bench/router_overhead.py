"""The router graph's own overhead per request, with instant in-process models.

Measures classify + routing + validation + accounting + LangGraph, not inference:
the local and frontier models answer immediately.

    python bench/router_overhead.py [--n 2000] [--ainvoke]

`--ainvoke` drives the graph as the gateway does (`graph.ainvoke` on an event loop) instead of
`graph.invoke`, and also reports CPU time per request.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from itertools import repeat
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatResult

from asymroute.context import RouterContext
from asymroute.graphs.router import build_router
from asymroute.pricing import ModelPrice
from asymroute.providers import PROVIDERS
from asymroute.providers.base import ModelOptions
from asymroute.settings import Settings

FRONTIER_PRICE = ModelPrice(input_per_million=2.5, output_per_million=10.0)
LOCAL_PRICE = ModelPrice(input_per_million=0.0, output_per_million=0.0)


class InstantChatModel(GenericFakeChatModel):
    """Answers on the event loop under `ainvoke` (the generic fake would use a thread pool,
    which is the fake's cost, not the router's)."""

    async def _agenerate(self, *args: Any, **kwargs: Any) -> ChatResult:
        return self._generate(*args, **kwargs)


class InstantProvider:
    name = "instant"
    example = "instant:any"

    def is_configured(self, settings: Settings) -> bool:
        return True

    def create(self, model: str, settings: Settings, options: ModelOptions) -> BaseChatModel:
        reply = AIMessage(
            "The answer is 5.",
            usage_metadata={"input_tokens": 20, "output_tokens": 6, "total_tokens": 26},
            response_metadata={"finish_reason": "stop"},
        )
        # Built once per plan, then called for every request: answer forever.
        return InstantChatModel(messages=repeat(reply))


def measure(graph: Any, prompt: str, n: int) -> tuple[list[float], float]:
    """Wall ms of each invoke, and CPU ms per invoke."""
    timings = []
    cpu = time.process_time()
    for _ in range(n):
        started = time.perf_counter()
        graph.invoke({"messages": [("user", prompt)]})
        timings.append((time.perf_counter() - started) * 1000)
    return timings, (time.process_time() - cpu) * 1000 / n


async def ameasure(graph: Any, prompt: str, n: int) -> tuple[list[float], float]:
    for _ in range(50):  # warm-up on this loop: its async clients are built on first use
        await graph.ainvoke({"messages": [("user", prompt)]})
    timings = []
    cpu = time.process_time()
    for _ in range(n):
        started = time.perf_counter()
        await graph.ainvoke({"messages": [("user", prompt)]})
        timings.append((time.perf_counter() - started) * 1000)
    return timings, (time.process_time() - cpu) * 1000 / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--ainvoke", action="store_true", help="graph.ainvoke, as the gateway")
    args = parser.parse_args()
    PROVIDERS["instant"] = InstantProvider()
    graph = build_router(
        Settings(
            _env_file=None,
            price_overrides={"instant:frontier": FRONTIER_PRICE, "instant:local": LOCAL_PRICE},
        ),  # type: ignore[call-arg]
        RouterContext(local_model="instant:local", frontier_model="instant:frontier"),
    )
    cases = {
        "local (classify, local, validate)": "What is 2+3?",
        "frontier (classify, frontier)": "Analyze and debug this parser, then refactor it.",
    }
    call = "ainvoke" if args.ainvoke else "invoke"
    print(f"{args.n} sequential {call}s per route, instant models")
    print(f"{'route':<36} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8} {'cpu ms':>8}")
    for label, prompt in cases.items():
        if args.ainvoke:
            timings, cpu = asyncio.run(ameasure(graph, prompt, args.n))
        else:
            measure(graph, prompt, 50)  # warm-up: imports, caches
            timings, cpu = measure(graph, prompt, args.n)
        q = statistics.quantiles(timings, n=100)
        rate = 1000 / statistics.fmean(timings)
        print(f"{label:<36} {q[49]:>8.2f} {q[94]:>8.2f} {q[98]:>8.2f} {rate:>8.0f} {cpu:>8.2f}")


if __name__ == "__main__":
    main()
