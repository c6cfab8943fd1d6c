"""Spend in Postgres (ASYMROUTE_POSTGRES_URL): shared by gateway instances on several hosts.

The table is created if missing (under an advisory lock, so instances starting together do
not race on it); each `add` is one `INSERT ... ON CONFLICT DO UPDATE` that row-locks the key,
so concurrent instances never lose an increment. A reservation's transaction row-locks the key
first (`reservations.py`), so instances admit requests on one key one at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from asymroute.checkpoints import mask_password
from asymroute.errors import ConfigurationError
from asymroute.gateway.spend.base import SpendStore, SpendStoreError, checked_amount
from asymroute.gateway.spend.sql import Dialect, Execute, SqlReservations
from asymroute.settings import Settings

TABLE = "asymroute_gateway_spend"
SCHEMA_LOCK_ID = 0x61737973  # any fixed number: serialises CREATE TABLE across instances
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    key_name TEXT PRIMARY KEY,
    spent_usd DOUBLE PRECISION NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""
RESERVATIONS = "asymroute_gateway_reservations"
RESERVATIONS_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {RESERVATIONS} (
    id TEXT PRIMARY KEY,
    key_name TEXT NOT NULL,
    estimate_usd DOUBLE PRECISION NOT NULL,
    holder TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
)
"""
DIALECT = Dialect(
    ensure_key=(
        f"INSERT INTO {TABLE} (key_name, spent_usd) VALUES (?, 0) ON CONFLICT (key_name) DO NOTHING"
    ),
    lock_and_add=(
        f"UPDATE {TABLE} SET spent_usd = spent_usd + ?, updated_at = now() "
        "WHERE key_name = ? RETURNING spent_usd"
    ),
    reservations=RESERVATIONS,
    placeholder="%s",
)
ADD = f"""
INSERT INTO {TABLE} (key_name, spent_usd) VALUES (%s, %s)
ON CONFLICT (key_name) DO UPDATE
SET spent_usd = {TABLE}.spent_usd + EXCLUDED.spent_usd, updated_at = now()
RETURNING spent_usd
"""
POOL_SIZE = 4
CONNECT_TIMEOUT_S = 10.0


class PostgresSpendStore(SqlReservations, SpendStore):
    name = "postgres"
    dialect = DIALECT

    def __init__(self, url: str) -> None:
        try:
            import psycopg
            from psycopg_pool import ConnectionPool
        except ImportError as exc:
            raise ConfigurationError(
                "the postgres spend store needs psycopg and psycopg-pool; "
                "pip install 'asymroute[postgres]'"
            ) from exc
        self.where = mask_password(url)
        self.errors: tuple[type[Exception], ...] = (psycopg.Error, TimeoutError)
        try:
            self.pool: Any = ConnectionPool(
                url,
                min_size=1,
                max_size=POOL_SIZE,
                kwargs={"autocommit": True},
                timeout=CONNECT_TIMEOUT_S,
                open=False,
            )
            self.pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
            with self.pool.connection() as connection, connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_ID,))
                connection.execute(SCHEMA)
                connection.execute(RESERVATIONS_SCHEMA)
        except Exception as exc:
            if hasattr(self, "pool"):
                self.pool.close()
            raise ConfigurationError(
                f"cannot use the gateway spend table at postgres {self.where} ({exc}); "
                "check ASYMROUTE_POSTGRES_URL and that the server is reachable"
            ) from exc

    @classmethod
    def from_settings(cls, settings: Settings) -> PostgresSpendStore:
        if settings.postgres_url is None:
            raise ConfigurationError(
                "ASYMROUTE_GATEWAY_SPEND_STORE=postgres needs ASYMROUTE_POSTGRES_URL"
            )
        return cls(settings.postgres_url.get_secret_value())

    def describe(self) -> str:
        return f"postgres {self.where}"

    def spent(self, key_name: str) -> float:
        try:
            with self.pool.connection() as connection:
                row = connection.execute(
                    f"SELECT spent_usd FROM {TABLE} WHERE key_name = %s", (key_name,)
                ).fetchone()
        except self.errors as exc:
            raise SpendStoreError(f"cannot read spend from {self.describe()}: {exc}") from exc
        return float(row[0]) if row else 0.0

    def add(self, key_name: str, usd: float) -> float:
        amount = checked_amount(usd)
        try:
            with self.pool.connection() as connection:
                row = connection.execute(ADD, (key_name, amount)).fetchone()
        except self.errors as exc:
            raise SpendStoreError(f"cannot record spend in {self.describe()}: {exc}") from exc
        return float(row[0])

    @contextmanager
    def transaction(self) -> Iterator[Execute]:
        with self.pool.connection() as connection, connection.transaction():
            yield connection.execute

    def close(self) -> None:
        self.pool.close()
