"""Spend in a SQLite file: shared by every worker and gateway process on one host.

WAL mode lets readers run beside the writer; each `add` is one upsert statement
(`spent_usd = spent_usd + ?`) in its own transaction, so concurrent processes never lose an
increment (a writer waits up to `BUSY_TIMEOUT_S` for the file lock). A reservation runs in a
`BEGIN IMMEDIATE` transaction, which takes the file's write lock first, so no two processes
can both admit a request the budget has room for only once. Not for several hosts:
SQLite over a network filesystem does not lock reliably; use `postgres` there.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from asymroute.errors import ConfigurationError
from asymroute.gateway.settings import GatewaySettings
from asymroute.gateway.spend.base import SpendStore, SpendStoreError, checked_amount
from asymroute.gateway.spend.sql import Dialect, Execute, SqlReservations
from asymroute.private_files import create_private_file

BUSY_TIMEOUT_S = 30.0
SCHEMA = """
CREATE TABLE IF NOT EXISTS gateway_spend (
    key_name TEXT PRIMARY KEY,
    spent_usd REAL NOT NULL,
    updated_at REAL NOT NULL
)
"""
RESERVATIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS gateway_reservations (
    id TEXT PRIMARY KEY,
    key_name TEXT NOT NULL,
    estimate_usd REAL NOT NULL,
    holder TEXT NOT NULL,
    created_at REAL NOT NULL
)
"""
NOW = "(julianday('now') - 2440587.5) * 86400.0"  # unix time; unixepoch() needs SQLite 3.38+
DIALECT = Dialect(
    ensure_key=(
        "INSERT INTO gateway_spend (key_name, spent_usd, updated_at) "
        f"VALUES (?, 0, {NOW}) ON CONFLICT (key_name) DO NOTHING"
    ),
    lock_and_add=(
        f"UPDATE gateway_spend SET spent_usd = spent_usd + ?, updated_at = {NOW} "
        "WHERE key_name = ? RETURNING spent_usd"
    ),
    reservations="gateway_reservations",
)
ADD = """
INSERT INTO gateway_spend (key_name, spent_usd, updated_at) VALUES (?, ?, ?)
ON CONFLICT (key_name) DO UPDATE
SET spent_usd = spent_usd + excluded.spent_usd, updated_at = excluded.updated_at
RETURNING spent_usd
"""


def spend_path(settings: GatewaySettings) -> Path:
    """ASYMROUTE_GATEWAY_SPEND_PATH, or `gateway_spend.sqlite` beside the checkpoint file."""
    if settings.gateway_spend_path is not None:
        return settings.gateway_spend_path.expanduser()
    return settings.checkpoint_path.expanduser().parent / "gateway_spend.sqlite"


class SqliteSpendStore(SqlReservations, SpendStore):
    name = "sqlite"
    dialect = DIALECT
    errors = (sqlite3.Error,)

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            create_private_file(path)  # 0600: not readable by other local users
            # Autocommit (isolation_level=None): each statement is its own transaction.
            self.connection = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute(SCHEMA)
            self.connection.execute(RESERVATIONS_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(
                f"cannot use the gateway spend file {path} ({exc}); "
                "set ASYMROUTE_GATEWAY_SPEND_PATH to a writable file path"
            ) from exc
        # One connection per store, used from worker threads one at a time.
        self.lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> SqliteSpendStore:
        return cls(spend_path(settings))

    def describe(self) -> str:
        return f"sqlite {self.path}"

    def spent(self, key_name: str) -> float:
        try:
            with self.lock:
                row = self.connection.execute(
                    "SELECT spent_usd FROM gateway_spend WHERE key_name = ?", (key_name,)
                ).fetchone()
        except sqlite3.Error as exc:
            raise SpendStoreError(f"cannot read spend from {self.describe()}: {exc}") from exc
        return float(row[0]) if row else 0.0

    def add(self, key_name: str, usd: float) -> float:
        amount = checked_amount(usd)
        try:
            with self.lock:
                row = self.connection.execute(ADD, (key_name, amount, time.time())).fetchone()
        except sqlite3.Error as exc:
            raise SpendStoreError(f"cannot record spend in {self.describe()}: {exc}") from exc
        return float(row[0])

    @contextmanager
    def transaction(self) -> Iterator[Execute]:
        """One write transaction, holding the file's write lock from its first statement."""
        with self.lock:
            self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield self.connection.execute
            except BaseException:
                self.connection.execute("ROLLBACK")
                raise
            self.connection.execute("COMMIT")

    def close(self) -> None:
        with self.lock:
            self.connection.close()
