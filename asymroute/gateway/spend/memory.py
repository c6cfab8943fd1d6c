"""Spend in this process's memory: for tests and single-process development.

It restarts at zero with the process and each worker counts its own, so it cannot enforce a
budget across `--workers` or instances; use `sqlite` or `postgres` for that.
"""

from __future__ import annotations

from asymroute.gateway.spend.base import SpendStore, checked_amount
from asymroute.gateway.spend.reservations import Admission, Reservation, fits
from asymroute.settings import Settings


class MemorySpendStore(SpendStore):
    name = "memory"

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.held: dict[str, Reservation] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> MemorySpendStore:
        return cls()

    def spent(self, key_name: str) -> float:
        return self.totals.get(key_name, 0.0)

    def add(self, key_name: str, usd: float) -> float:
        total = self.totals.get(key_name, 0.0) + checked_amount(usd)
        self.totals[key_name] = total
        return total

    def reserve(self, reservation: Reservation, budget_usd: float) -> Admission:
        spent = self.spent(reservation.key_name)
        reserved = sum(
            r.estimate_usd for r in self.held.values() if r.key_name == reservation.key_name
        )
        admitted = fits(spent, reserved, reservation.estimate_usd, budget_usd)
        if admitted:
            self.held[reservation.id] = reservation
        return Admission(admitted, spent, reserved)

    def settle(self, reservation: Reservation, cost_usd: float) -> float:
        self.held.pop(reservation.id, None)
        return self.add(reservation.key_name, cost_usd)

    def recover(self) -> list[Reservation]:
        return []  # nothing outlives the process that held it

    # No thread hop: a dict lookup never blocks the event loop.
    async def aspent(self, key_name: str) -> float:
        return self.spent(key_name)

    async def aadd(self, key_name: str, usd: float) -> float:
        return self.add(key_name, usd)

    async def areserve(self, reservation: Reservation, budget_usd: float) -> Admission:
        return self.reserve(reservation, budget_usd)

    async def asettle(self, reservation: Reservation, cost_usd: float) -> float:
        return self.settle(reservation, cost_usd)
