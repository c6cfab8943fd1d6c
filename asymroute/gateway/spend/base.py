"""What the gateway's per-key budgets are counted in: one `SpendStore`, shared by its workers.

A store adds, reads, and holds reservations (`reservations.py` has the rules); which key has
which budget lives in `asymroute.gateway.auth.KeyRing`. The async methods run the blocking
calls in a worker thread so the event loop keeps serving.
"""

from __future__ import annotations

import asyncio
import math
from abc import ABC, abstractmethod

from asymroute.gateway.spend.reservations import Admission, Reservation


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
        return await asyncio.to_thread(self.spent, key_name)

    async def aadd(self, key_name: str, usd: float) -> float:
        return await asyncio.to_thread(self.add, key_name, checked_amount(usd))

    async def areserve(self, reservation: Reservation, budget_usd: float) -> Admission:
        return await asyncio.to_thread(self.reserve, reservation, budget_usd)

    async def asettle(self, reservation: Reservation, cost_usd: float) -> float:
        return await asyncio.to_thread(self.settle, reservation, checked_amount(cost_usd))


def checked_amount(usd: float) -> float:
    if not math.isfinite(usd) or usd < 0:
        raise ValueError(f"spend must be a finite amount >= 0 USD, got {usd!r}")
    return float(usd)
