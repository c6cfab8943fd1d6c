"""Spend in a SQLite file: shared by every worker and gateway process on one host.

WAL mode lets readers run beside the writer; each `add` is one upsert statement
(`spent_usd = spent_usd + ?`) in its own transaction, so concurrent processes never lose an
increment (a writer waits up to `BUSY_TIMEOUT_S` for the file lock). Not for several hosts:
SQLite over a network filesystem does not lock reliably; use `postgres` there.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from asymroute.errors import ConfigurationError
from asymroute.gateway.spend.base import SpendStore, SpendStoreError, checked_amount
from asymroute.private_files import create_private_file
from asymroute.settings import Settings

BUSY_TIMEOUT_S = 30.0
SCHEMA = """
CREATE TABLE IF NOT EXISTS gateway_spend (
    key_name TEXT PRIMARY KEY,
    spent_usd REAL NOT NULL,
    updated_at REAL NOT NULL
)
"""
ADD = """
INSERT INTO gateway_spend (key_name, spent_usd, updated_at) VALUES (?, ?, ?)
ON CONFLICT (key_name) DO UPDATE
SET spent_usd = spent_usd + excluded.spent_usd, updated_at = excluded.updated_at
RETURNING spent_usd
"""


def spend_path(settings: Settings) -> Path:
    """ASYMROUTE_GATEWAY_SPEND_PATH, or `gateway_spend.sqlite` beside the checkpoint file."""
    if settings.gateway_spend_path is not None:
        return settings.gateway_spend_path.expanduser()
    return settings.checkpoint_path.expanduser().parent / "gateway_spend.sqlite"


class SqliteSpendStore(SpendStore):
    name = "sqlite"

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
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(
                f"cannot use the gateway spend file {path} ({exc}); "
                "set ASYMROUTE_GATEWAY_SPEND_PATH to a writable file path"
            ) from exc
        # One connection per store, used from worker threads one at a time.
        self.lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> SqliteSpendStore:
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

    def close(self) -> None:
        with self.lock:
            self.connection.close()
