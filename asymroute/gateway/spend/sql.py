"""The reservation rules (`reservations.py`) in SQL, for the SQLite and Postgres stores."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from asymroute.gateway.spend.base import SpendStoreError
from asymroute.gateway.spend.reservations import (
    RESERVATION_LEASE_S,
    Admission,
    Reservation,
    fits,
    holder_is_gone,
)


class Cursor(Protocol):
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


Execute = Callable[[str, tuple[Any, ...]], Cursor]


@dataclass(frozen=True)
class Dialect:
    """The statements of one SQL store; `?` marks a parameter in every one of them."""

    ensure_key: str  # INSERT the key's row with 0 spent unless it exists
    lock_and_add: str  # UPDATE spent_usd = spent_usd + ? WHERE key_name = ? RETURNING spent_usd
    reservations: str  # the reservations table's name
    placeholder: str = "?"

    def sql(self, statement: str) -> str:
        return statement.replace("?", self.placeholder)


class SqlReservations:
    """The reservation rules over a store's `transaction()`, which yields an execute function."""

    dialect: Dialect
    errors: tuple[type[Exception], ...]
    transaction: Callable[[], AbstractContextManager[Execute]]
    describe: Callable[[], str]

    def _run(self, execute: Execute, statement: str, params: tuple[Any, ...]) -> Cursor:
        return execute(self.dialect.sql(statement), params)

    def _add(self, execute: Execute, key_name: str, usd: float) -> float:
        self._run(execute, self.dialect.ensure_key, (key_name,))
        row = self._run(execute, self.dialect.lock_and_add, (usd, key_name)).fetchone()
        return float(row[0])

    def reserve(self, reservation: Reservation, budget_usd: float) -> Admission:
        try:
            return self._reserve(reservation, budget_usd)
        except self.errors as exc:
            raise SpendStoreError(f"cannot reserve budget in {self.describe()}: {exc}") from exc

    def settle(self, reservation: Reservation, cost_usd: float) -> float:
        try:
            return self._settle(reservation, cost_usd)
        except self.errors as exc:
            raise SpendStoreError(f"cannot record spend in {self.describe()}: {exc}") from exc

    def recover(self) -> list[Reservation]:
        try:
            return self._recover()
        except self.errors as exc:
            raise SpendStoreError(
                f"cannot recover reservations in {self.describe()}: {exc}"
            ) from exc

    def _reserve(self, reservation: Reservation, budget_usd: float) -> Admission:
        table, key = self.dialect.reservations, reservation.key_name
        with self.transaction() as execute:
            expired = self._run(
                execute,
                f"DELETE FROM {table} WHERE key_name = ? AND created_at < ? RETURNING estimate_usd",
                (key, time.time() - RESERVATION_LEASE_S),
            ).fetchall()
            # Locks the key's row (Postgres) until commit; SQLite's write lock is already held.
            spent = self._add(execute, key, sum(float(row[0]) for row in expired))
            row = self._run(
                execute,
                f"SELECT COALESCE(SUM(estimate_usd), 0) FROM {table} WHERE key_name = ?",
                (key,),
            ).fetchone()
            reserved = float(row[0])
            admitted = fits(spent, reserved, reservation.estimate_usd, budget_usd)
            if admitted:
                self._run(
                    execute,
                    f"INSERT INTO {table} (id, key_name, estimate_usd, holder, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (
                        reservation.id,
                        key,
                        reservation.estimate_usd,
                        reservation.holder,
                        reservation.created_at,
                    ),
                )
        return Admission(admitted, spent, reserved)

    def _settle(self, reservation: Reservation, cost_usd: float) -> float:
        with self.transaction() as execute:
            held = self._run(
                execute,
                f"DELETE FROM {self.dialect.reservations} WHERE id = ? RETURNING estimate_usd",
                (reservation.id,),
            ).fetchone()
            # Not held any more: recovery already charged its estimate; add the difference.
            charge = cost_usd if held is not None else cost_usd - reservation.estimate_usd
            return self._add(execute, reservation.key_name, charge)

    def _recover(self) -> list[Reservation]:
        """Charge at their estimate the reservations whose holder is gone or whose lease ran out."""
        table = self.dialect.reservations
        deadline = time.time() - RESERVATION_LEASE_S
        recovered: list[Reservation] = []
        with self.transaction() as execute:
            rows = self._run(
                execute,
                f"SELECT id, key_name, estimate_usd, holder, created_at FROM {table}",
                (),
            ).fetchall()
            for id_, key_name, estimate, holder, created_at in rows:
                if created_at >= deadline and not holder_is_gone(holder):
                    continue
                gone = self._run(
                    execute, f"DELETE FROM {table} WHERE id = ? RETURNING id", (id_,)
                ).fetchone()
                if gone is not None:
                    self._add(execute, key_name, float(estimate))
                    recovered.append(
                        Reservation(key_name, float(estimate), id_, holder, float(created_at))
                    )
        return recovered
