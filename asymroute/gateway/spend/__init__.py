"""Spend stores by name; add one by writing a file and registering its factory here.

`ASYMROUTE_GATEWAY_SPEND_STORE` picks one; unset, the gateway uses `memory` when no key has a
budget (nothing to share), `postgres` when ASYMROUTE_POSTGRES_URL is set, else `sqlite`.

Layer: inside the gateway; imports the gateway's settings and the floor (`settings`,
`checkpoints`, `errors`, `private_files`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from asymroute.errors import ConfigurationError
from asymroute.gateway.settings import GatewaySettings
from asymroute.gateway.spend.base import SpendStore, SpendStoreError
from asymroute.gateway.spend.memory import MemorySpendStore
from asymroute.gateway.spend.postgres import PostgresSpendStore
from asymroute.gateway.spend.sqlite import SqliteSpendStore

logger = logging.getLogger(__name__)

SpendStoreFactory = Callable[[GatewaySettings], SpendStore]

SPEND_STORES: dict[str, SpendStoreFactory] = {
    "memory": MemorySpendStore.from_settings,
    "sqlite": SqliteSpendStore.from_settings,
    "postgres": PostgresSpendStore.from_settings,
}


UNSHARED = {
    "sqlite": "a SQLite file, which only processes on this host share",
    "memory": "this process's memory, which no other process shares",
}


def spend_store_name(settings: GatewaySettings) -> str:
    if settings.gateway_spend_store:
        return settings.gateway_spend_store
    # Only budgeted keys are counted: without budgets there is nothing to share.
    if not settings.gateway_keys or not settings.gateway_key_budgets_usd:
        return "memory"
    return "postgres" if settings.postgres_url is not None else "sqlite"


def open_spend_store(settings: GatewaySettings) -> SpendStore:
    name = spend_store_name(settings)
    try:
        factory = SPEND_STORES[name]
    except KeyError:
        raise ConfigurationError(
            f"unknown ASYMROUTE_GATEWAY_SPEND_STORE {name!r}; "
            f"choose one of: {', '.join(sorted(SPEND_STORES))}"
        ) from None
    if name in UNSHARED and settings.redis_url and settings.gateway_key_budgets_usd:
        # Redis suggests replicas, but budgets are not kept there (docs: replicas).
        logger.warning(
            "ASYMROUTE_REDIS_URL is set, so this gateway may have replicas, but key budgets "
            "are counted in %s; replicas on other hosts need ASYMROUTE_POSTGRES_URL",
            UNSHARED[name],
        )
    return factory(settings)


__all__ = [
    "SPEND_STORES",
    "MemorySpendStore",
    "PostgresSpendStore",
    "SpendStore",
    "SpendStoreError",
    "SqliteSpendStore",
    "open_spend_store",
    "spend_store_name",
]
