"""The async HTTP client that OpenAI-compatible calls go through, one per router and event loop.

Why: with many calls in flight, the openai SDK's default async client (httpx2) spends about
2.2 ms of CPU per call against a loopback stub at 100 concurrent, its aiohttp transport about
1.0 ms; through the gateway at 200 concurrent that is +40% throughput (README, load benchmark).
`ASYMROUTE_OPENAI_ASYNC_HTTP_CLIENT` chooses: `httpx` (the SDK's default, and ours) or
`aiohttp`; `asymroute serve` picks aiohttp. Synchronous calls always use the SDK's default.

One client per event loop, shared by every plan and tier of a router: its connections belong
to the loop that opened them, and `aclose` (the gateway's shutdown) closes them all at once.
"""

from __future__ import annotations

import asyncio
from asyncio import AbstractEventLoop
from typing import Any
from weakref import WeakKeyDictionary

from asymroute.errors import ConfigurationError
from asymroute.settings import AsyncHttpClientKind


class AsyncHttpClients:
    def __init__(self, kind: AsyncHttpClientKind) -> None:
        self.kind = kind
        self._by_loop: WeakKeyDictionary[AbstractEventLoop, Any] = WeakKeyDictionary()

    def for_loop(self, loop: AbstractEventLoop) -> Any | None:
        """The shared client for `loop`; None means "let the SDK build its default one"."""
        if self.kind == "httpx":
            return None
        client = self._by_loop.get(loop)
        if client is None:
            client = self._by_loop.setdefault(loop, new_aiohttp_client())
        return client

    async def aclose(self) -> None:
        """Close the running loop's client (its pooled connections); a later call opens anew."""
        client = self._by_loop.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()


def new_aiohttp_client() -> Any:
    try:
        import aiohttp  # noqa: F401
        from openai import DefaultAioHttpClient
    except ImportError:
        raise ConfigurationError(
            "ASYMROUTE_OPENAI_ASYNC_HTTP_CLIENT=aiohttp needs aiohttp: "
            "pip install 'openai[aiohttp]', or set it to httpx"
        ) from None
    # The SDK's own defaults (connection limits, redirects); per-call timeouts still come
    # from each model's `timeout`, which the SDK attaches to every request.
    return DefaultAioHttpClient()
