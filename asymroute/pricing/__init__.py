"""Price tables by name; add one by writing a file and registering its factory here.

Layer: the floor's data; imports `errors` only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from asymroute.errors import ConfigurationError
from asymroute.pricing.base import ModelPrice, PriceTable
from asymroute.pricing.default import DefaultPriceTable

PriceTableFactory = Callable[[Mapping[str, ModelPrice]], PriceTable]

PRICE_TABLES: dict[str, PriceTableFactory] = {
    "default": DefaultPriceTable,
}


def get_price_table(name: str, overrides: Mapping[str, ModelPrice] | None = None) -> PriceTable:
    try:
        factory = PRICE_TABLES[name]
    except KeyError:
        raise ConfigurationError(
            f"unknown price table {name!r}; choose one of: {', '.join(sorted(PRICE_TABLES))}"
        ) from None
    return factory(overrides or {})


__all__ = ["PRICE_TABLES", "DefaultPriceTable", "ModelPrice", "PriceTable", "get_price_table"]
