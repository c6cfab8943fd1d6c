"""One aiohttp-backed client per router and event loop for openai: models under `ainvoke`."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

from asymroute.cli.serve import http_client_of
from asymroute.context import RouterContext
from asymroute.errors import ConfigurationError
from asymroute.model_calls import _prepare
from asymroute.planning import RouterSetup
from asymroute.providers.async_http import AsyncHttpClients
from asymroute.settings import Settings

COMPAT_URL = "http://127.0.0.1:9/v1"


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, openai_base_url=COMPAT_URL, **values)  # type: ignore[call-arg]


def both_openai() -> RouterContext:
    return RouterContext(local_model="openai:small", frontier_model="openai:large")


def test_httpx_leaves_each_model_its_sdk_default() -> None:
    async def check() -> None:
        assert AsyncHttpClients("httpx").for_loop(asyncio.get_running_loop()) is None

    asyncio.run(check())


def test_aiohttp_gives_one_client_per_loop_closed_by_aclose() -> None:
    from openai import DefaultAioHttpClient

    clients = AsyncHttpClients("aiohttp")

    async def on_one_loop() -> Any:
        loop = asyncio.get_running_loop()
        client = clients.for_loop(loop)
        assert isinstance(client, DefaultAioHttpClient)
        assert clients.for_loop(loop) is client
        await clients.aclose()
        assert client.is_closed
        reopened = clients.for_loop(loop)  # a later call opens a new one
        assert reopened is not client
        await clients.aclose()
        return client

    assert asyncio.run(on_one_loop()) is not asyncio.run(on_one_loop())


def test_both_tiers_under_ainvoke_share_the_routers_client_and_sync_models_do_not() -> None:
    setup = RouterSetup.build(settings(openai_async_http_client="aiohttp"), both_openai())
    plan = setup.plan(None)

    async def build() -> tuple[Any, Any, Any]:
        loop = asyncio.get_running_loop()
        local = _prepare(plan, "local", setup.settings, loop)[1]
        frontier = _prepare(plan, "frontier", setup.settings, loop)[1]
        shared = setup.http_clients.for_loop(loop)
        await setup.aclose()
        return local, frontier, shared

    local, frontier, shared = asyncio.run(build())
    assert local.http_async_client is shared and frontier.http_async_client is shared
    assert shared.is_closed
    synchronous = _prepare(plan, "frontier", setup.settings)[1]
    assert synchronous.http_async_client is None  # type: ignore[attr-defined]


def test_aiohttp_without_the_package_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # import aiohttp now raises ImportError

    async def ask() -> None:
        AsyncHttpClients("aiohttp").for_loop(asyncio.get_running_loop())

    with pytest.raises(ConfigurationError, match=r"pip install 'openai\[aiohttp\]'.*httpx"):
        asyncio.run(ask())


def test_a_bad_choice_is_a_settings_error() -> None:
    with pytest.raises(ValueError, match=r"openai_async_http_client|ASYMROUTE_OPENAI_ASYNC"):
        settings(openai_async_http_client="requests")


def test_serve_uses_the_environments_choice_else_aiohttp_when_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert http_client_of(settings()) == "aiohttp"  # installed with asymroute
    assert http_client_of(settings(openai_async_http_client="httpx")) == "httpx"
    monkeypatch.setitem(sys.modules, "aiohttp", None)
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert http_client_of(settings()) == "httpx"
