"""Spend in this process's memory: for tests and single-process development.

It restarts at zero with the process and each worker counts its own, so it cannot enforce a
budget across `--workers` or instances; use `sqlite` or `postgres` for that.
"""

from __future__ import annotations

from asymroute.gateway.spend.base import SpendStore, checked_amount
from asymroute.settings import Settings


class MemorySpendStore(SpendStore):
    name = "memory"

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> MemorySpendStore:
        return cls()

    def spent(self, key_name: str) -> float:
        return self.totals.get(key_name, 0.0)

    def add(self, key_name: str, usd: float) -> float:
        total = self.totals.get(key_name, 0.0) + checked_amount(usd)
        self.totals[key_name] = total
        return total

    # No thread hop: a dict lookup never blocks the event loop.
    async def aspent(self, key_name: str) -> float:
        return self.spent(key_name)

    async def aadd(self, key_name: str, usd: float) -> float:
        return self.add(key_name, usd)
