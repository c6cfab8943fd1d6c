"""The gateway's settings: the router's `Settings` plus its keys, budgets and limits.

They are read from the same environment and `.env`, under the same ASYMROUTE_GATEWAY_*
names; they live here, with the gateway, so the router's settings need nothing from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import NoDecode

from asymroute.gateway.keys import hashed_key_table
from asymroute.settings import Settings, json_setting, read_settings


class GatewaySettings(Settings):
    # Keys are kept only as sha256 hashes.
    gateway_keys: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        validation_alias=AliasChoices("ASYMROUTE_GATEWAY_KEYS", "gateway_keys"),
        description='JSON {"name": "sha256:<hex>" or a plaintext key, hashed on load}',
    )
    gateway_key_budgets_usd: Annotated[dict[str, float], NoDecode] = Field(
        default_factory=dict,
        validation_alias=AliasChoices("ASYMROUTE_GATEWAY_KEY_BUDGETS", "gateway_key_budgets_usd"),
        description='JSON {"name": USD}: spend allowed per key, counted in the spend store',
    )
    gateway_spend_store: str | None = Field(
        default=None,
        validation_alias="ASYMROUTE_GATEWAY_SPEND_STORE",
        description="memory, sqlite or postgres; unset: postgres with ASYMROUTE_POSTGRES_URL, "
        "else sqlite (memory when no keys are configured)",
    )
    gateway_spend_path: Path | None = Field(
        default=None,
        validation_alias="ASYMROUTE_GATEWAY_SPEND_PATH",
        description="SQLite file of per-key spend; unset: gateway_spend.sqlite beside the "
        "checkpoint file",
    )
    gateway_allow_unauthenticated_remote: bool = Field(
        default=False, validation_alias="ASYMROUTE_GATEWAY_ALLOW_UNAUTHENTICATED_REMOTE"
    )
    gateway_max_body_bytes: int = Field(
        default=1_000_000, gt=0, validation_alias="ASYMROUTE_GATEWAY_MAX_BODY_BYTES"
    )
    gateway_max_messages: int = Field(
        default=1_000,
        gt=0,
        validation_alias="ASYMROUTE_GATEWAY_MAX_MESSAGES",
        description="most messages one chat request may hold; more is a 400 (building and "
        "routing a request grows faster than its message count)",
    )
    gateway_max_concurrent_per_key: int = Field(
        default=64,
        ge=0,
        validation_alias="ASYMROUTE_GATEWAY_MAX_CONCURRENT_PER_KEY",
        description="requests one gateway key may have in flight at once; one more is a 429. "
        "0: no limit. Unauthenticated loopback clients share the key 'anonymous'",
    )
    gateway_tune_gc: bool = Field(
        default=False,
        validation_alias="ASYMROUTE_GATEWAY_TUNE_GC",
        description="freeze startup objects and raise the collector's thresholds when the app "
        "starts (asymroute.gateway.gc_tuning); `asymroute serve` turns it on for its own "
        "processes",
    )
    gateway_key_limits: Annotated[dict[str, dict[str, Any]], NoDecode] = Field(
        default_factory=dict,
        validation_alias=AliasChoices("ASYMROUTE_GATEWAY_KEY_LIMITS", "gateway_key_limits"),
        description='JSON {"name" or "*": {"requests": "60/minute; 1000/day", "tokens": '
        '"100000/minute"}}: rate limits per key (asymroute.gateway.rate_limits)',
    )
    gateway_admin_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias=AliasChoices("ASYMROUTE_GATEWAY_ADMIN_KEYS", "gateway_admin_keys"),
        description='JSON ["name", ...]: keys that may read GET /metrics',
    )
    gateway_context: Annotated[dict[str, Any], NoDecode] = Field(
        default_factory=dict,
        validation_alias=AliasChoices("ASYMROUTE_GATEWAY_CONTEXT", "gateway_context"),
        description='JSON of RouterContext fields the gateway routes with, e.g. {"threshold": 0.4}',
    )

    @field_validator(
        "gateway_keys",
        "gateway_key_budgets_usd",
        "gateway_key_limits",
        "gateway_admin_keys",
        "gateway_context",
        mode="before",
    )
    @classmethod
    def _parse_gateway_json(cls, value: Any) -> Any:
        return json_setting(value, "not valid JSON")

    @field_validator("gateway_admin_keys", mode="before")
    @classmethod
    def _empty_admin_list(cls, value: Any) -> Any:
        empty = value == {} or (isinstance(value, str) and not value.strip())
        return [] if empty else value  # empty text would parse as an empty object

    @field_validator("gateway_keys", mode="after")
    @classmethod
    def _hash_gateway_keys(cls, value: dict[str, str]) -> dict[str, str]:
        return hashed_key_table(value)


def load_gateway_settings(**overrides: Any) -> GatewaySettings:
    """Read the gateway's settings, turning pydantic's report into a `ConfigurationError`."""
    return read_settings(GatewaySettings, **overrides)


def as_gateway_settings(settings: Settings) -> GatewaySettings:
    """Router settings with the gateway's read from the environment: `create_app` took plain
    `Settings` when they held the gateway's fields too, and still does."""
    if isinstance(settings, GatewaySettings):
        return settings
    return load_gateway_settings(**settings.model_dump())
