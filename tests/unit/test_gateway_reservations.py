"""Budget reservations in each store: admission is a cap, settling charges the real cost,
and reservations a dead gateway left are charged at their estimate."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from asymroute.gateway.spend import MemorySpendStore, SpendStore, SqliteSpendStore
from asymroute.gateway.spend.reservations import (
    RESERVATION_LEASE_S,
    Reservation,
    holder_is_gone,
    this_holder,
)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> SpendStore:
    if request.param == "memory":
        return MemorySpendStore()
    return SqliteSpendStore(tmp_path / "spend.sqlite")


def test_reservations_are_a_cap_and_settling_charges_the_real_cost(store: SpendStore) -> None:
    held = [Reservation("team", 0.25) for _ in range(5)]
    admitted = [store.reserve(r, 1.0).admitted for r in held]
    assert admitted == [True, True, True, True, False]  # 4 x 0.25 fit in 1.0, a fifth does not
    refused = store.reserve(Reservation("team", 0.25), 1.0)
    assert (refused.spent_usd, refused.reserved_usd) == (0.0, 1.0)
    assert store.settle(held[0], 0.1) == pytest.approx(0.1)  # frees 0.25, charges 0.1
    assert store.reserve(Reservation("team", 0.15), 1.0).admitted
    assert not store.reserve(Reservation("team", 0.01), 1.0).admitted
    assert store.reserve(Reservation("other", 0.5), 1.0).admitted  # budgets are per key


def test_ten_reservations_of_a_tenth_fit_exactly(store: SpendStore) -> None:
    # 0.00075 * 10 is a hair over 0.0075 in floating point: the cap must still admit ten.
    assert all(store.reserve(Reservation("k", 0.00075), 0.0075).admitted for _ in range(10))
    assert not store.reserve(Reservation("k", 0.00075), 0.0075).admitted


def test_a_spent_budget_admits_nothing_not_even_a_free_request(store: SpendStore) -> None:
    store.settle(Reservation("k", 0.0), 1.0)
    assert not store.reserve(Reservation("k", 0.0), 1.0).admitted


def test_threads_reserving_at_once_never_overcommit(tmp_path: Path) -> None:
    store = SqliteSpendStore(tmp_path / "spend.sqlite")
    admitted: list[bool] = []

    def reserve_many() -> None:
        for _ in range(20):
            admitted.append(store.reserve(Reservation("k", 0.1), 1.0).admitted)

    threads = [threading.Thread(target=reserve_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert admitted.count(True) == 10


def test_a_dead_holders_reservation_is_charged_at_its_estimate_on_recovery(
    tmp_path: Path,
) -> None:
    host = this_holder().rsplit(":", 1)[0]
    dead = subprocess.Popen(["true"])
    dead.wait()
    orphan = Reservation("k", 0.3, holder=f"{host}:{dead.pid}")
    live = Reservation("k", 0.2, holder=f"{host}:{os.getppid()}")  # a running process
    elsewhere = Reservation("k", 0.1, holder="another-host:1")  # only its lease can expire it
    store = SqliteSpendStore(tmp_path / "spend.sqlite")
    for reservation in (orphan, live, elsewhere):
        assert store.reserve(reservation, 10.0).admitted

    assert [r.id for r in store.recover()] == [orphan.id]  # what a starting gateway does
    assert store.spent("k") == pytest.approx(0.3)
    assert store.recover() == []  # charged once
    # Its holder settling late (it was not dead after all) corrects the charge to the real cost.
    assert store.settle(orphan, 0.05) == pytest.approx(0.05)
    assert store.settle(live, 0.02) == pytest.approx(0.07)


def test_a_reservation_past_its_lease_is_charged_by_the_next_reservation(tmp_path: Path) -> None:
    store = SqliteSpendStore(tmp_path / "spend.sqlite")
    stale = Reservation(
        "k", 0.4, holder="another-host:1", created_at=time.time() - RESERVATION_LEASE_S - 1
    )
    assert store.reserve(stale, 1.0).admitted
    admission = store.reserve(Reservation("k", 0.5), 1.0)
    assert admission.admitted and admission.spent_usd == pytest.approx(0.4)
    assert admission.reserved_usd == 0.0


def test_only_a_missing_process_on_this_host_counts_as_gone() -> None:
    assert not holder_is_gone(f"{this_holder().rsplit(':', 1)[0]}:1")  # init: always running
    assert not holder_is_gone("some-other-host:999999")
    assert holder_is_gone(this_holder())  # this process, opening the store: an earlier holder
