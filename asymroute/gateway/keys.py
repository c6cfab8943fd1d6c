"""Gateway API keys: only their sha256 hashes are kept, so a leaked config reveals no key."""

from __future__ import annotations

import hashlib
import re

HASH_PREFIX = "sha256:"
_HASH_FORM = re.compile(r"^sha256:[0-9a-f]{64}$")


def hash_key(key: str) -> str:
    return HASH_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()


def hashed_key_table(keys: dict[str, str]) -> dict[str, str]:
    """name -> 'sha256:<hex>'; a value not already in that form is a plaintext key, hashed."""
    table: dict[str, str] = {}
    for name, value in keys.items():
        if not name or not isinstance(value, str) or not value.strip():
            raise ValueError(
                "each gateway key needs a non-empty name and a non-empty key or sha256 hash"
            )
        value = value.strip()
        table[name] = value.lower() if _HASH_FORM.match(value.lower()) else hash_key(value)
    if len(set(table.values())) != len(table):
        raise ValueError("two gateway key names share the same key; give each client its own")
    return table
