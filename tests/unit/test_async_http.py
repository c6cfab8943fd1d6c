"""One aiohttp-backed client per router, event loop and provider for calls under `ainvoke`."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

from asymroute.cli.serve import http_client_of
from asymroute.context import RouterContext
from asymroute.errors import ConfigurationError
from asymroute.model_calls import _aprepare, _prepare
from asymroute.planning import RouterSetup
from asymroute.providers import PROVIDERS
from asymroute.providers.async_http import AsyncHttpClients
from asymroute.settings import Settings

COMPAT_URL = "http://127.0.0.1:9/v1"


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, openai_base_url=COMPAT_URL, **values)  # type: ignore[call-arg]


def both_openai() -> RouterContext:
    return RouterContext(local_model="openai:small", frontier_model="openai:large")


def ollama_and_openai() -> RouterContext:
    return RouterContext(local_model="ollama:small", frontier_model="openai:large")


def test_httpx_leaves_each_model_its_default() -> None:
    async def check() -> None:
        loop = asyncio.get_running_loop()
        assert AsyncHttpClients("httpx").for_loop(loop, PROVIDERS["openai"]) is None
        assert AsyncHttpClients("httpx").for_loop(loop, PROVIDERS["ollama"]) is None

    asyncio.run(check())


def test_providers_without_http_get_nothing() -> None:
    async def check() -> None:
        loop = asyncio.get_running_loop()
        assert AsyncHttpClients("aiohttp").for_loop(loop, PROVIDERS["llamacpp"]) is None

    asyncio.run(check())


def test_aiohttp_gives_one_client_per_loop_and_provider_closed_by_aclose() -> None:
    from httpx_aiohttp import AiohttpTransport
    from openai import DefaultAioHttpClient

    clients = AsyncHttpClients("aiohttp")

    async def on_one_loop() -> Any:
        loop = asyncio.get_running_loop()
        openai_client = clients.for_loop(loop, PROVIDERS["openai"])
        ollama_transport = clients.for_loop(loop, PROVIDERS["ollama"])
        assert isinstance(openai_client, DefaultAioHttpClient)
        assert isinstance(ollama_transport, AiohttpTransport)
        assert clients.for_loop(loop, PROVIDERS["openai"]) is openai_client
        assert clients.for_loop(loop, PROVIDERS["ollama"]) is ollama_transport
        ollama_transport.client = ollama_transport.get_client()  # as its first request does
        await clients.aclose()
        assert openai_client.is_closed and ollama_transport.client.closed
        reopened = clients.for_loop(loop, PROVIDERS["openai"])  # a later call opens a new one
        assert reopened is not openai_client
        await clients.aclose()
        return openai_client

    assert asyncio.run(on_one_loop()) is not asyncio.run(on_one_loop())


def test_both_tiers_under_ainvoke_share_the_routers_client_and_sync_models_do_not() -> None:
    setup = RouterSetup.build(settings(async_http_client="aiohttp"), both_openai())
    plan = setup.plan(None)

    async def build() -> tuple[Any, Any, Any]:
        loop = asyncio.get_running_loop()
        local = (await _aprepare(plan, "local", setup))[1]
        frontier = (await _aprepare(plan, "frontier", setup))[1]
        shared = setup.http_clients.for_loop(loop, PROVIDERS["openai"])
        await setup.aclose()
        return local, frontier, shared

    local, frontier, shared = asyncio.run(build())
    assert local.http_async_client is shared and frontier.http_async_client is shared
    assert shared.is_closed
    synchronous = _prepare(plan, "frontier", setup)[1]
    assert synchronous.http_async_client is None  # type: ignore[attr-defined]


def test_an_ollama_tier_under_ainvoke_sends_through_the_shared_transport() -> None:
    setup = RouterSetup.build(settings(async_http_client="aiohttp"), ollama_and_openai())
    plan = setup.plan(None)

    async def build() -> tuple[Any, Any]:
        loop = asyncio.get_running_loop()
        local = (await _aprepare(plan, "local", setup))[1]
        transport = setup.http_clients.for_loop(loop, PROVIDERS["ollama"])
        await setup.aclose()
        return local, transport

    local, transport = asyncio.run(build())
    assert local._async_client._client._transport is transport
    synchronous = _prepare(plan, "local", setup)[1]
    assert synchronous._async_client._client._transport is not transport  # type: ignore[attr-defined]


def test_aiohttp_without_the_packages_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # import aiohttp now raises ImportError
    monkeypatch.setitem(sys.modules, "httpx_aiohttp", None)

    async def ask(provider: str) -> None:
        AsyncHttpClients("aiohttp").for_loop(asyncio.get_running_loop(), PROVIDERS[provider])

    with pytest.raises(ConfigurationError, match=r"pip install 'openai\[aiohttp\]'.*httpx"):
        asyncio.run(ask("openai"))
    with pytest.raises(ConfigurationError, match=r"pip install 'httpx-aiohttp'.*httpx"):
        asyncio.run(ask("ollama"))


def test_a_bad_choice_is_a_settings_error() -> None:
    with pytest.raises(ValueError, match=r"async_http_client|ASYMROUTE_ASYNC_HTTP_CLIENT"):
        settings(async_http_client="requests")


def test_the_first_environment_name_still_works(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYMROUTE_OPENAI_ASYNC_HTTP_CLIENT", "aiohttp")
    assert Settings(_env_file=None).async_http_client == "aiohttp"  # type: ignore[call-arg]
    monkeypatch.setenv("ASYMROUTE_ASYNC_HTTP_CLIENT", "httpx")  # the current name wins
    assert Settings(_env_file=None).async_http_client == "httpx"  # type: ignore[call-arg]


def test_serve_uses_the_environments_choice_else_aiohttp_when_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert http_client_of(settings()) == "aiohttp"  # installed with asymroute
    assert http_client_of(settings(async_http_client="httpx")) == "httpx"
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name: None if name == "httpx_aiohttp" else real_find_spec(name),
    )
    assert http_client_of(settings()) == "httpx"  # one transport missing: both stay httpx
