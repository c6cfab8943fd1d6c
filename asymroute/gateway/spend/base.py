"""What the gateway's per-key budgets are counted in: one `SpendStore`, shared by its workers.

A store adds, reads, and holds reservations (`reservations.py` has the rules); which key has
which budget lives in `asymroute.gateway.auth.KeyRing`. The async methods run the blocking
calls in worker threads of the stores' own (`SPEND_WORKERS`), so the event loop keeps serving
and a charge never waits in the loop's default executor behind other blocking work (plans,
model builds): a request's spend is written as soon as it is known.
"""

from __future__ import annotations

import asyncio
import functools
import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from asymroute.gateway.spend.reservations import Admission, Reservation

T = TypeVar("T")
SPEND_WORKERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="asymroute-spend")


async def off_loop(call: Callable[..., T], *args: object) -> T:
    """`call(*args)` in a spend worker thread."""
    return await asyncio.get_running_loop().run_in_executor(
        SPEND_WORKERS, functools.partial(call, *args)
    )


class SpendStoreError(Exception):
    """The spend store cannot be read or written (database down, file not writable...)."""


class SpendStore(ABC):
    """USD spent per gateway key; `add` is atomic, so concurrent writers lose no increment."""

    name: str

    @abstractmethod
    def spent(self, key_name: str) -> float:
        """What the key has spent so far (0.0 for a key never seen)."""

    @abstractmethod
    def add(self, key_name: str, usd: float) -> float:
        """Add `usd` to the key's spend and return its new total."""

    @abstractmethod
    def reserve(self, reservation: Reservation, budget_usd: float) -> Admission:
        """Hold `reservation` if spent + reserved + its estimate fits in `budget_usd` (atomic)."""

    @abstractmethod
    def settle(self, reservation: Reservation, cost_usd: float) -> float:
        """Release `reservation` and charge the request's real cost; returns the new total."""

    @abstractmethod
    def recover(self) -> list[Reservation]:
        """Charge, at their estimate, reservations whose holder died; returns them."""

    def describe(self) -> str:
        """Where spend is kept, for messages and logs (no secrets)."""
        return self.name

    def close(self) -> None:
        """Release connections; the store is not used afterwards."""
        return None  # nothing to release unless a store holds connections

    async def aspent(self, key_name: str) -> float:
        return await off_loop(self.spent, key_name)

    async def aadd(self, key_name: str, usd: float) -> float:
        return await off_loop(self.add, key_name, checked_amount(usd))

    async def areserve(self, reservation: Reservation, budget_usd: float) -> Admission:
        return await off_loop(self.reserve, reservation, budget_usd)

    async def asettle(self, reservation: Reservation, cost_usd: float) -> float:
        return await off_loop(self.settle, reservation, checked_amount(cost_usd))


def checked_amount(usd: float) -> float:
    if not math.isfinite(usd) or usd < 0:
        raise ValueError(f"spend must be a finite amount >= 0 USD, got {usd!r}")
    return float(usd)
