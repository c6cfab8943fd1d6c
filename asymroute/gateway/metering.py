"""One request's budget from admission to charge: reserve its worst case, settle its real cost.

A request whose key has a budget reserves its worst-case cost before it runs (`KeyRing.reserve`:
429 when that does not fit) and is settled exactly once, however it ends:
- answered, or failed with an error: the cost its model calls recorded;
- cancelled (the client hung up, or the gateway is shutting down): what it recorded, plus, if
  a frontier call was under way, that call's share: for a stream, the request's input and the
  text already streamed; for a plain request, nothing streamed tells how far it got, so the
  reservation's whole estimate. Every cancelled request is logged at WARNING, with its key
  and the charge, whether or not its key has a budget.
A gateway killed before settling leaves its reservations in the store; the next one to open it
charges them at their estimate (`asymroute.gateway.spend.reservations`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage

from asymroute.budget import most_input_tokens
from asymroute.gateway.auth import KeyRing
from asymroute.gateway.spend.reservations import Reservation
from asymroute.planning import RouterSetup, RunPlan
from asymroute.tier_call import tier_prices

logger = logging.getLogger(__name__)

FRONTIER_NODE = "frontier_model"
STREAM_MODES = ["values", "tasks"]
"""What a metered run is streamed with: its state, and when each node starts and ends."""


def worst_case_cost(
    setup: RouterSetup, plan: RunPlan, messages: Sequence[BaseMessage], max_output_tokens: int
) -> float:
    """One call on each tier, with at most a token per prompt byte (the tools' definitions
    included, images at their fixed estimate) in and `max_output_tokens` out, per choice
    (`budget.most_input_tokens`).

    The router makes at most one call per tier that succeeds; what it can make beyond that
    (a frontier retry after an empty answer, extra local votes) is the documented overshoot.
    """
    input_tokens = most_input_tokens(messages, plan.context.tools)
    total = 0.0
    for tier in ("local", "frontier"):
        # n > 1: the frontier writes up to n answers (asymroute.guards).
        out = max_output_tokens * (plan.context.n if tier == "frontier" else 1)
        # Each deployment as served, at its own price: a fallback may answer from any.
        prices = tier_prices(setup, plan, tier)
        total += max((p.cost(input_tokens, out) for p in prices if p is not None), default=0.0)
    return total


class FrontierCallWatch(BaseCallbackHandler):
    """Knows, the moment it starts, that a model call in the frontier node is under way.

    The run's "tasks" stream says so too, but through LangGraph's stream queue: a client that
    hangs up before the gateway has read that event would otherwise be charged nothing for a
    frontier call already sent. Callbacks run inline, in the node, before the request leaves.
    """

    run_inline = True

    def __init__(self) -> None:
        self.running: set[Any] = set()

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        if (kwargs.get("metadata") or {}).get("langgraph_node") == FRONTIER_NODE:
            self.running.add(kwargs["run_id"])

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        self.running.discard(kwargs["run_id"])

    def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        self.running.discard(kwargs["run_id"])


class RunListener(Protocol):
    """Told once, when a metered run settles, its final state and how it ended: "answered",
    "failed", "cancelled", or "cancelled_in_call" (cut off during a frontier call)."""

    async def run_settled(self, state: Mapping[str, Any], outcome: str) -> None: ...


@dataclass
class Meter:
    """Follows one run's state and frontier calls, and settles its reservation once."""

    keys: KeyRing
    key_name: str
    run_id: str
    estimate_usd: float
    reservation: Reservation | None
    in_background: Callable[[Coroutine[Any, Any, None]], None]
    state: Mapping[str, Any] = field(default_factory=dict)
    frontier_task_running: bool = False
    settled: bool = False
    watch: FrontierCallWatch = field(default_factory=FrontierCallWatch)
    rate_limit_headers: dict[str, str] = field(default_factory=dict)
    listeners: Sequence[RunListener] = ()
    """Rate limits and metrics (asymroute.gateway.rate_limits, .metrics)."""
    outcome: str = ""

    @property
    def frontier_running(self) -> bool:
        return self.frontier_task_running or bool(self.watch.running)

    def watched(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The run's config with the frontier call watch among its callbacks."""
        return {**config, "callbacks": [*(config.get("callbacks") or []), self.watch]}

    def observe(self, mode: str, payload: Any) -> None:
        """Feed it every ("values" | "tasks", payload) the run streams."""
        if mode == "values":
            self.state = payload
        elif mode == "tasks" and payload.get("name") == FRONTIER_NODE:
            self.frontier_task_running = "input" in payload  # a start event; its end has "result"

    async def run(self, graph: Any, graph_input: Any, config: Any, context: Any) -> Any:
        """The graph's final state, as `ainvoke` returns it; settled however the run ends."""
        try:
            async for mode, payload in graph.astream(
                graph_input, self.watched(config), context=context, stream_mode=STREAM_MODES
            ):
                self.observe(mode, payload)
        except asyncio.CancelledError:  # the client hung up, or the gateway is stopping
            # Charged by a background task, not awaited here: the cancelled task may be
            # cancelled again (the client-gone watcher, then the server), and an await cut
            # short would leave the charge unwritten. The gateway awaits its background
            # tasks before it stops.
            self.cancelled_in_background()
            raise
        except Exception:
            await self.finished()
            raise
        await self.finished()
        return self.state

    @property
    def recorded_usd(self) -> float:
        return float(self.state.get("total_cost_usd") or 0.0)

    async def finished(self) -> None:
        """The run answered or failed: charge what its calls recorded."""
        await self.settle(self.recorded_usd)

    def cancelled_cost(self, streamed_frontier_usd: float | None = None) -> float:
        if not self.frontier_running:
            return self.recorded_usd
        if streamed_frontier_usd is not None:
            return self.recorded_usd + streamed_frontier_usd
        return max(self.recorded_usd, self.estimate_usd)

    def cancelled_in_background(self, streamed_frontier_usd: float | None = None) -> None:
        """The charge written by a background task: for a closing stream, which cannot await,
        and for a cancelled run, whose awaits a second cancellation could cut short."""
        if not self.settled:
            self.in_background(self.settle(self._log_cancelled(streamed_frontier_usd)))

    def _log_cancelled(self, streamed_frontier_usd: float | None) -> float:
        cost = self.cancelled_cost(streamed_frontier_usd)
        self.outcome = "cancelled_in_call" if self.frontier_running else "cancelled"
        logger.warning(
            "request %s of key %r was cancelled before it finished%s; charging $%.8f "
            "(its worst-case estimate was $%.8f)",
            self.run_id,
            self.key_name,
            " during a frontier call" if self.frontier_running else "",
            cost,
            self.estimate_usd,
        )
        return cost

    async def settle(self, cost_usd: float) -> None:
        if self.settled:
            return
        self.settled = True
        await self.keys.settle(self.reservation, cost_usd)
        outcome = self.outcome or ("answered" if self.state.get("answered_by") else "failed")
        for listener in self.listeners:
            await listener.run_settled(self.state, outcome)
