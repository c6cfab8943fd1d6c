"""The async HTTP clients that model calls go through, one per router, event loop and provider.

Why: with many calls in flight, the clients' default httpx stacks spend 2.2–2.6 ms of CPU per
call against a loopback stub at 100 concurrent, their aiohttp transports about 0.9–1.0 ms
(`bench/openai_http_client.py`, `bench/ollama_http_client.py`); through the gateway at 200
concurrent that is +40% throughput (README, load benchmark).
`ASYMROUTE_ASYNC_HTTP_CLIENT` chooses: `httpx` (the clients' default, and ours) or `aiohttp`;
`asymroute serve` picks aiohttp. Synchronous calls always use the clients' defaults.

- `openai:` models get the openai SDK's own aiohttp client (`openai.DefaultAioHttpClient`);
- `ollama:` models get an httpx client over `httpx_aiohttp.AiohttpTransport` (the ollama client
  is built on httpx, so only its transport changes: timeouts, errors and streaming stay
  httpx's);
- other providers (in-process llama.cpp) make no HTTP calls.

One client per event loop and provider, shared by every plan and tier of a router: its
connections belong to the loop that opened them, and `aclose` (the gateway's shutdown) closes
them all at once.
"""

from __future__ import annotations

import asyncio
from asyncio import AbstractEventLoop
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from asymroute.errors import ConfigurationError
from asymroute.settings import AsyncHttpClientKind


def new_openai_aiohttp_client() -> Any:
    try:
        import aiohttp  # noqa: F401
        from openai import DefaultAioHttpClient
    except ImportError:
        raise _missing("openai[aiohttp]") from None
    # The SDK's own defaults (connection limits, redirects); per-call timeouts still come
    # from each model's `timeout`, which the SDK attaches to every request.
    return DefaultAioHttpClient()


def new_ollama_aiohttp_transport() -> Any:
    try:
        from httpx_aiohttp import AiohttpTransport
    except ImportError:
        raise _missing("httpx-aiohttp") from None
    # Per-call timeouts come from the httpx client's `timeout`, sent with every request.
    return AiohttpTransport()


AIOHTTP_CLIENTS: dict[str, Callable[[], Any]] = {
    "openai": new_openai_aiohttp_client,
    "ollama": new_ollama_aiohttp_transport,
}
"""Provider name → how its shared aiohttp client is made (what its `create` expects)."""


def _missing(package: str) -> ConfigurationError:
    return ConfigurationError(
        f"ASYMROUTE_ASYNC_HTTP_CLIENT=aiohttp needs {package}: pip install '{package}', "
        "or set it to httpx"
    )


class AsyncHttpClients:
    def __init__(self, kind: AsyncHttpClientKind) -> None:
        self.kind = kind
        self._by_loop: WeakKeyDictionary[AbstractEventLoop, dict[str, Any]] = WeakKeyDictionary()

    def for_loop(self, loop: AbstractEventLoop, provider: str) -> Any | None:
        """The shared client of `provider` on `loop`; None: "let the provider use its default"."""
        make = AIOHTTP_CLIENTS.get(provider)
        if self.kind == "httpx" or make is None:
            return None
        clients = self._by_loop.setdefault(loop, {})
        client = clients.get(provider)
        if client is None:
            client = clients.setdefault(provider, make())
        return client

    async def aclose(self) -> None:
        """Close the running loop's clients (their pooled connections); later calls open anew."""
        clients = self._by_loop.pop(asyncio.get_running_loop(), {})
        for client in clients.values():
            await client.aclose()
