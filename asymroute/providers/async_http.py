"""The async HTTP clients that model calls go through, one per router, event loop and provider.

Why: with many calls in flight, the clients' default httpx stacks spend 2.2–2.6 ms of CPU per
call against a loopback stub at 100 concurrent, their aiohttp transports about 0.9–1.0 ms
(`bench/http_clients.py`); through the gateway at 200 concurrent that is +45-65% throughput
(README, load benchmark).
`ASYMROUTE_ASYNC_HTTP_CLIENT` chooses: `httpx` (the clients' default, and ours) or `aiohttp`;
`asymroute serve` picks aiohttp. Synchronous calls always use the clients' defaults.

A provider that makes HTTP calls says how its shared client is made with an optional
`new_aiohttp_client()` method, and takes it back as `ModelOptions.async_http_client`:
- `openai:` models get the openai SDK's own aiohttp client (`openai.DefaultAioHttpClient`);
- `ollama:` models get an httpx client over `httpx_aiohttp.AiohttpTransport` (the ollama client
  is built on httpx, so only its transport changes: timeouts, errors and streaming stay
  httpx's);
- providers without it (in-process llama.cpp) make no HTTP calls and get None.

One client per event loop and provider, shared by every plan and tier of a router: its
connections belong to the loop that opened them, and `aclose` (the gateway's shutdown) closes
them all at once.
"""

from __future__ import annotations

import asyncio
from asyncio import AbstractEventLoop
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from asymroute.errors import ConfigurationError
from asymroute.settings import AsyncHttpClientKind

if TYPE_CHECKING:
    from asymroute.providers.base import ModelProvider


def missing_package(package: str) -> ConfigurationError:
    return ConfigurationError(
        f"ASYMROUTE_ASYNC_HTTP_CLIENT=aiohttp needs {package}: pip install '{package}', "
        "or set it to httpx"
    )


class AsyncHttpClients:
    def __init__(self, kind: AsyncHttpClientKind) -> None:
        self.kind = kind
        self._by_loop: WeakKeyDictionary[AbstractEventLoop, dict[str, Any]] = WeakKeyDictionary()

    def for_loop(self, loop: AbstractEventLoop, provider: ModelProvider) -> Any | None:
        """The shared client of `provider` on `loop`; None: "use your own default"."""
        make = getattr(provider, "new_aiohttp_client", None)
        if self.kind == "httpx" or make is None:
            return None
        clients = self._by_loop.setdefault(loop, {})
        client = clients.get(provider.name)
        if client is None:
            client = clients.setdefault(provider.name, make())
        return client

    async def aclose(self) -> None:
        """Close the running loop's clients (their pooled connections); later calls open anew."""
        clients = self._by_loop.pop(asyncio.get_running_loop(), {})
        for client in clients.values():
            await client.aclose()
