"""Unit-test fixtures: no network, no model weights, and the scripted `fake:` model provider
(tests.support.fake_provider) registered per test.

The host environment is already cleared by `tests/conftest.py`; here, network connections
and llama.cpp model loading become test failures.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from asymroute.context import RouterContext
from asymroute.providers import PROVIDERS
from asymroute.settings import Settings
from tests.support.fake_provider import FakeProvider
from tests.support.scripted_models import ScriptedProvider


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any, *args: Any) -> None:
        attempts.append(address)
        raise OSError(f"unit tests must not open network connections (tried {address!r})")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield
    assert not attempts, f"a unit test tried to connect to {attempts}"


@pytest.fixture(autouse=True)
def no_llama_loading(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from asymroute.providers import llamacpp_pool

    loads: list[str] = []

    def refuse(path: str, *args: Any) -> Any:
        loads.append(path)
        raise AssertionError(f"unit tests must not load llama.cpp weights ({path})")

    monkeypatch.setattr(llamacpp_pool, "load_llama", refuse)
    yield
    assert not loads, f"a unit test loaded llama.cpp weights: {loads}"


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> ScriptedProvider:
    """The `scripted` provider (tests.support.scripted_models), registered for this test only."""
    provider = ScriptedProvider()
    monkeypatch.setitem(PROVIDERS, "scripted", provider)
    return provider


@pytest.fixture
def fake_provider(monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    """The `fake` provider, registered for this test only."""
    provider = FakeProvider()
    monkeypatch.setitem(PROVIDERS, "fake", provider)
    return provider


@pytest.fixture
def make_router(fake_provider: FakeProvider) -> Callable[..., Any]:
    """Build the router graph around fake models: `make_router(settings=..., **context)`."""
    from asymroute.graphs.router import build_router

    def build(settings: Settings | None = None, **context: Any) -> Any:
        defaults = RouterContext(
            **{"local_model": "fake:good", "frontier_model": "fake:frontier", **context}
        )
        return build_router(settings=settings or Settings(), defaults=defaults)

    return build
