"""The graphs a process serves, built once: one router, and the chat and workflow graphs that
call it.

The CLI and the gateway build a `ServedGraphs` from their own settings and routing defaults.
The LangGraph server (`langgraph dev`) gets its graphs from `router`, `chat` and `workflow`,
the factories langgraph.json names. It calls a factory for every run and every read, so they
build the graphs from the environment on the first call only, in a worker thread (loading
settings and models blocks, and the server's event loop must not), and return the same graphs
afterwards: one router per server process, which the served chat and workflow graphs call too.
langgraph.json names them as a module (`asymroute.graphs.served:router`), not a file path:
the server loads a file path afresh for each graph, which would give each graph its own router.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

from langgraph.checkpoint.base import BaseCheckpointSaver

from asymroute.context import RouterContext
from asymroute.graphs.chat import ChatGraph, build_chat
from asymroute.graphs.router import RouterGraph, build_router
from asymroute.graphs.workflow import WorkflowGraph, build_workflow
from asymroute.planning import RouterSetup
from asymroute.settings import Settings, load_settings


@dataclass(frozen=True)
class ServedGraphs:
    """One router; the chat and workflow graphs built here call it rather than their own."""

    setup: RouterSetup
    """The router's models and clients; a server closes it (`aclose`) when it shuts down."""
    router: RouterGraph

    @classmethod
    def build(
        cls, settings: Settings | None = None, defaults: RouterContext | None = None
    ) -> ServedGraphs:
        """`settings` default to the environment's; `defaults` is the routing context of a
        run that passes none."""
        setup = RouterSetup.build(settings if settings is not None else load_settings(), defaults)
        return cls(setup, build_router(setup=setup))

    def chat(self, checkpointer: BaseCheckpointSaver | None = None) -> ChatGraph:
        return build_chat(self.router, checkpointer)

    def workflow(self, checkpointer: BaseCheckpointSaver | None = None) -> WorkflowGraph:
        return build_workflow(self.router, checkpointer)


@dataclass(frozen=True)
class _ServerGraphs:
    router: RouterGraph
    chat: ChatGraph
    workflow: WorkflowGraph


class _BuiltOnFirstUse:
    """The LangGraph server's graphs (it brings its own checkpointer), built on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._graphs: _ServerGraphs | None = None

    def get(self) -> _ServerGraphs:
        with self._lock:  # Studio asks for several graphs at once: the first one builds
            if self._graphs is None:
                served = ServedGraphs.build()
                self._graphs = _ServerGraphs(served.router, served.chat(), served.workflow())
            return self._graphs

    async def aget(self) -> _ServerGraphs:
        built = self._graphs
        return built if built is not None else await asyncio.to_thread(self.get)


_server_graphs = _BuiltOnFirstUse()


async def router() -> RouterGraph:
    """langgraph.json's `router` graph."""
    return (await _server_graphs.aget()).router


async def chat() -> ChatGraph:
    """langgraph.json's `chat` graph, which calls the served router."""
    return (await _server_graphs.aget()).chat


async def workflow() -> WorkflowGraph:
    """langgraph.json's `workflow` graph, which calls the served router."""
    return (await _server_graphs.aget()).workflow
