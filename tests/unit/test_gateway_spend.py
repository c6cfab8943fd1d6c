"""Per-key spend stores: arithmetic, persistence, selection, and budgets shared between apps."""

from __future__ import annotations

import asyncio
import logging
import math
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest

from asymroute.errors import ConfigurationError
from asymroute.gateway.settings import GatewaySettings
from asymroute.gateway.spend import (
    MemorySpendStore,
    SpendStore,
    SpendStoreError,
    SqliteSpendStore,
    open_spend_store,
    spend_store_name,
)
from tests.support.fake_provider import FakeProvider
from tests.support.gateway_app import COMPLEX, KEY, ask, client_for, gateway

TEAM_KEYS = {"team": KEY}
TEAM_BUDGET = {"team": 0.01}  # one frontier answer ($0.0125) spends it


def settings(**values: Any) -> GatewaySettings:
    return GatewaySettings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> SpendStore:
    if request.param == "memory":
        return MemorySpendStore()
    return SqliteSpendStore(tmp_path / "spend.sqlite")


def test_spend_adds_up_per_key(store: SpendStore) -> None:
    assert store.spent("a") == 0.0
    assert store.add("a", 0.25) == 0.25
    assert store.add("a", 0.5) == 0.75
    assert store.add("b", 2.0) == 2.0
    assert store.add("a", 0.0) == 0.75
    assert (store.spent("a"), store.spent("b"), store.spent("c")) == (0.75, 2.0, 0.0)


def test_async_methods_see_the_same_totals(store: SpendStore) -> None:
    async def spend() -> tuple[float, float]:
        await asyncio.gather(*(store.aadd("a", 0.125) for _ in range(16)))
        return await store.aspent("a"), store.spent("a")

    assert asyncio.run(spend()) == (2.0, 2.0)


@pytest.mark.parametrize("amount", [-0.01, math.nan, math.inf])
def test_negative_or_non_finite_spend_is_refused(store: SpendStore, amount: float) -> None:
    with pytest.raises(ValueError, match="finite amount >= 0"):
        store.add("a", amount)
    assert store.spent("a") == 0.0


def test_sqlite_spend_survives_a_restart_and_is_shared_by_two_stores(tmp_path: Path) -> None:
    path = tmp_path / "spend.sqlite"
    first, second = SqliteSpendStore(path), SqliteSpendStore(path)
    first.add("a", 1.5)
    assert second.add("a", 1.0) == 2.5
    assert first.spent("a") == 2.5
    first.close()
    second.close()
    assert SqliteSpendStore(path).spent("a") == 2.5
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_store_is_chosen_from_settings(tmp_path: Path) -> None:
    keys = {"gateway_keys": TEAM_KEYS, "gateway_key_budgets_usd": TEAM_BUDGET}
    assert spend_store_name(settings()) == "memory"  # no keys: no budgets to share
    unbudgeted = settings(gateway_keys=TEAM_KEYS, postgres_url="postgresql://u@127.0.0.1:1/x")
    assert spend_store_name(unbudgeted) == "memory"  # keys, but none with a budget
    assert spend_store_name(settings(**keys)) == "sqlite"
    postgres = settings(**keys, postgres_url="postgresql://u@127.0.0.1:1/x")
    assert spend_store_name(postgres) == "postgres"
    assert spend_store_name(settings(**keys, gateway_spend_store="memory")) == "memory"

    store = open_spend_store(settings(**keys, checkpoint_path=tmp_path / "db" / "cp.sqlite"))
    assert isinstance(store, SqliteSpendStore)
    assert store.path == tmp_path / "db" / "gateway_spend.sqlite"  # beside the checkpoints
    chosen = settings(**keys, gateway_spend_path=tmp_path / "elsewhere.sqlite")
    assert open_spend_store(chosen).describe() == f"sqlite {tmp_path / 'elsewhere.sqlite'}"


def test_store_choice_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ASYMROUTE_GATEWAY_SPEND_STORE", "sqlite")
    monkeypatch.setenv("ASYMROUTE_GATEWAY_SPEND_PATH", str(tmp_path / "s.sqlite"))
    store = open_spend_store(GatewaySettings(_env_file=None))  # type: ignore[call-arg]
    assert isinstance(store, SqliteSpendStore) and store.path == tmp_path / "s.sqlite"


def test_bad_store_settings_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="unknown ASYMROUTE_GATEWAY_SPEND_STORE 'redis'"):
        open_spend_store(settings(gateway_spend_store="redis"))
    with pytest.raises(ConfigurationError, match="needs ASYMROUTE_POSTGRES_URL"):
        open_spend_store(settings(gateway_spend_store="postgres"))
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    unwritable = settings(gateway_spend_store="sqlite", gateway_spend_path=blocker / "s.sqlite")
    with pytest.raises(ConfigurationError, match="set ASYMROUTE_GATEWAY_SPEND_PATH"):
        open_spend_store(unwritable)


def shared_gateway(path: Path, **extra: Any) -> Any:
    return gateway(
        gateway_keys=TEAM_KEYS,
        gateway_key_budgets_usd=TEAM_BUDGET,
        gateway_spend_path=path,
        **extra,
    )


def test_a_budget_spent_through_one_app_is_refused_by_another(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    path = tmp_path / "spend.sqlite"
    with shared_gateway(path) as first, shared_gateway(path) as second:
        ask(client_for(second))  # $0, local: the budget still holds
        ask(client_for(first), COMPLEX)  # $0.0125: spends it
        with pytest.raises(openai.RateLimitError) as caught:
            ask(client_for(second))
        assert caught.value.body["code"] == "budget_exceeded"
    assert SqliteSpendStore(path).spent("team") == pytest.approx(0.0125)


class BrokenStore(MemorySpendStore):
    def __init__(self, broken: Callable[[], bool]) -> None:
        super().__init__()
        self.broken = broken

    def spent(self, key_name: str) -> float:
        if self.broken():
            raise SpendStoreError("database is locked")
        return super().spent(key_name)

    def add(self, key_name: str, usd: float) -> float:
        raise SpendStoreError("disk I/O error")


def test_an_unreadable_store_refuses_budgeted_requests_with_503(
    fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from asymroute.gateway import auth

    monkeypatch.setattr(auth, "open_spend_store", lambda settings: BrokenStore(lambda: True))
    with (
        shared_gateway(Path("unused")) as http,
        caplog.at_level(logging.ERROR),
        pytest.raises(openai.InternalServerError) as caught,
    ):
        ask(client_for(http))
    assert caught.value.status_code == 503
    assert caught.value.body["code"] == "spend_store_unavailable"
    assert "database is locked" in caplog.text


def test_a_failed_spend_write_is_logged_and_the_answer_still_sent(
    fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from asymroute.gateway import auth

    monkeypatch.setattr(auth, "open_spend_store", lambda settings: BrokenStore(lambda: False))
    with shared_gateway(Path("unused")) as http, caplog.at_level(logging.ERROR):
        assert ask(client_for(http), COMPLEX).parse().model == "fake:frontier"
    assert "spend of $0.01250000 by key 'team' was not recorded" in caplog.text


def test_health_endpoints_need_no_key_and_readiness_follows_the_spend_store(
    fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    from asymroute.gateway import auth

    broken = {"now": False}
    monkeypatch.setattr(
        auth, "open_spend_store", lambda settings: BrokenStore(lambda: broken["now"])
    )
    with shared_gateway(Path("unused")) as http:
        assert http.get("/health/liveness").json() == {"status": "alive"}
        ready = http.get("/health/readiness")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        broken["now"] = True
        down = http.get("/health/readiness")
        assert down.status_code == 503 and down.json()["status"] == "not ready"
        assert http.get("/health/liveness").status_code == 200  # alive all the same
        assert fake_provider.created_models == []  # no model was built, let alone called
