"""Endpoints, secrets and limits, read from the environment and `.env`.

Per-run choices (which models, threshold, ...) live in `RouterContext` instead; the gateway's
own settings (keys, budgets, limits) in `asymroute.gateway.settings.GatewaySettings`, which
extends these. This module imports nothing above it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from asymroute.errors import ConfigurationError
from asymroute.pricing.base import ModelPrice

AsyncHttpClientKind = Literal["httpx", "aiohttp"]
"""The async HTTP clients `openai:` and `ollama:` models can use (`providers.async_http`)."""


def default_checkpoint_path() -> Path:
    """Per user, not per directory, so `asymroute chat --thread ID` resumes from anywhere."""
    state_home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state_home) / "asymroute" / "checkpoints.sqlite"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    def __init__(self, **values: Any) -> None:
        # extra="ignore" lets the environment hold other programs' variables; a gateway setting
        # given here would be dropped silently, and a gateway built from these settings would
        # run without the keys or budgets meant for it. They are `GatewaySettings`' fields.
        accepted = accepted_names(type(self))
        misplaced = sorted(
            name
            for name in values
            if name.lower().startswith(("gateway_", "asymroute_gateway_")) and name not in accepted
        )
        if misplaced:
            raise ConfigurationError(
                f"{', '.join(misplaced)}: the gateway's settings are fields of "
                "asymroute.gateway.settings.GatewaySettings (load_gateway_settings), not Settings"
            )
        super().__init__(**values)

    ollama_base_url: str = Field(
        default="http://localhost:11434", validation_alias="OLLAMA_BASE_URL"
    )
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    embeddings_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("ASYMROUTE_EMBEDDINGS_BASE_URL", "embeddings_base_url"),
        description="an OpenAI-compatible server for openai: embedders (e.g. a local one), "
        "apart from the frontier's OPENAI_BASE_URL",
    )
    embeddings_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("ASYMROUTE_EMBEDDINGS_API_KEY", "embeddings_api_key"),
        description="the key for ASYMROUTE_EMBEDDINGS_BASE_URL (default: OPENAI_API_KEY)",
    )
    openai_schema_form: Literal["json_schema", "json_object"] = Field(
        default="json_schema",
        validation_alias=AliasChoices("ASYMROUTE_OPENAI_SCHEMA_FORM", "openai_schema_form"),
        description="how openai: models are sent a JSON schema: json_schema (OpenAI's form; "
        "OpenAI, vLLM, llama.cpp's llama-server, LiteLLM) or json_object (the older "
        '{"type": "json_object", "schema": ...} that `python -m llama_cpp.server` reads)',
    )

    # NoDecode: our validator parses the JSON, so a bad value gets our error message.
    price_overrides: Annotated[dict[str, ModelPrice], NoDecode] = Field(
        default_factory=dict,
        validation_alias=AliasChoices("ASYMROUTE_PRICES", "price_overrides"),
        description='JSON: {"gpt-4o": {"input_per_million": 2.5, "output_per_million": 10}}',
    )
    price_table: str = Field(default="default", validation_alias="ASYMROUTE_PRICE_TABLE")

    connect_timeout_s: float = Field(
        default=5.0, gt=0, validation_alias="ASYMROUTE_CONNECT_TIMEOUT_S"
    )
    local_timeout_s: float = Field(
        default=120.0, gt=0, validation_alias="ASYMROUTE_LOCAL_TIMEOUT_S"
    )
    frontier_timeout_s: float = Field(
        default=60.0, gt=0, validation_alias="ASYMROUTE_FRONTIER_TIMEOUT_S"
    )
    frontier_max_retries: int = Field(
        default=2, ge=0, le=10, validation_alias="ASYMROUTE_FRONTIER_MAX_RETRIES"
    )
    # Fault handling (asymroute.resilience): retries are ours alone, the clients' are off.
    local_connect_timeout_s: float | None = Field(
        default=None, gt=0, validation_alias="ASYMROUTE_LOCAL_CONNECT_TIMEOUT_S"
    )
    frontier_connect_timeout_s: float | None = Field(
        default=None, gt=0, validation_alias="ASYMROUTE_FRONTIER_CONNECT_TIMEOUT_S"
    )
    local_max_retries: int = Field(
        default=0, ge=0, le=10, validation_alias="ASYMROUTE_LOCAL_MAX_RETRIES"
    )
    retry_base_delay_s: float = Field(
        default=0.5, ge=0, validation_alias="ASYMROUTE_RETRY_BASE_DELAY_S"
    )
    retry_max_delay_s: float = Field(
        default=8.0, ge=0, validation_alias="ASYMROUTE_RETRY_MAX_DELAY_S"
    )
    retry_after_max_s: float = Field(
        default=20.0, ge=0, validation_alias="ASYMROUTE_RETRY_AFTER_MAX_S"
    )
    call_deadline_s: float = Field(
        default=180.0, gt=0, validation_alias="ASYMROUTE_CALL_DEADLINE_S"
    )
    breaker_failure_threshold: int = Field(
        default=5, ge=0, validation_alias="ASYMROUTE_BREAKER_FAILURES"
    )
    breaker_cooldown_s: float = Field(
        default=30.0, gt=0, validation_alias="ASYMROUTE_BREAKER_COOLDOWN_S"
    )
    max_prompt_chars: int = Field(
        default=200_000, gt=0, validation_alias="ASYMROUTE_MAX_PROMPT_CHARS"
    )
    llamacpp_n_ctx: int = Field(default=4096, ge=256, validation_alias="ASYMROUTE_LLAMACPP_N_CTX")
    llamacpp_threads: int | None = Field(
        default=None, ge=1, validation_alias="ASYMROUTE_LLAMACPP_THREADS"
    )
    llamacpp_instances: int = Field(
        default=1,
        ge=1,
        le=64,
        validation_alias="ASYMROUTE_LLAMACPP_INSTANCES",
        description="copies of the embedded model that generate at once (each holds its own "
        "weights and context); calls beyond them queue",
    )
    model_list_path: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("ASYMROUTE_MODEL_LIST", "model_list_path"),
        description="the model list (.yaml, .yml or .toml): deployments and the tiers they "
        "form (asymroute.model_list); unset: each tier is its context's provider:model",
    )
    checkpoint_path: Path = Field(
        default_factory=default_checkpoint_path,
        validation_alias="ASYMROUTE_CHECKPOINT_PATH",
        description="SQLite file holding conversation and workflow checkpoints",
    )
    postgres_url: SecretStr | None = Field(
        default=None,
        validation_alias="ASYMROUTE_POSTGRES_URL",
        description="postgresql://... ; when set, checkpoints go to Postgres instead of SQLite",
    )
    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("ASYMROUTE_REDIS_URL", "redis_url"),
        description="redis://host:port/db shared by replicas: the gateway's rate-limit counters "
        "and every router's circuit breakers live there (unset: in the process's memory)",
    )
    async_http_client: AsyncHttpClientKind = Field(
        default="httpx",
        # The first name only covered openai: models; it still works.
        validation_alias=AliasChoices(
            "ASYMROUTE_ASYNC_HTTP_CLIENT", "ASYMROUTE_OPENAI_ASYNC_HTTP_CLIENT", "async_http_client"
        ),
        description="async HTTP client of openai: and ollama: models under ainvoke: httpx "
        "(the clients' default) or aiohttp (less than half the CPU per call under load); "
        "`asymroute serve` picks aiohttp",
    )

    @field_validator("price_overrides", mode="before")
    @classmethod
    def _parse_price_json(cls, value: Any) -> Any:
        return json_setting(value, "ASYMROUTE_PRICES is not valid JSON")

    @property
    def frontier_openai_configured(self) -> bool:
        """An OpenAI-compatible frontier needs a key (api.openai.com) or a base URL."""
        return self.openai_api_key is not None or bool(self.openai_base_url)


def accepted_names(kind: type[BaseSettings]) -> set[str]:
    """Every name a settings class takes a field by: its field names and their aliases."""
    names = set(kind.model_fields)
    for info in kind.model_fields.values():
        alias = info.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
        names.update(choice for choice in choices if isinstance(choice, str))
    return names


def json_setting(value: Any, problem: str) -> Any:
    """A JSON object given as text in the environment, parsed so a bad value gets our message
    (the field is `NoDecode`); empty text is an empty object."""
    if isinstance(value, str):
        try:
            return json.loads(value) if value.strip() else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"{problem}: {exc}") from exc
    return value


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def read_settings(kind: type[SettingsT], **overrides: Any) -> SettingsT:
    """Read `kind` from the environment, turning pydantic's report into a `ConfigurationError`."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    try:
        return kind(**overrides)
    except SettingsError as exc:
        raise ConfigurationError(
            f"invalid asymroute settings ({exc}); fix the environment or .env"
        ) from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigurationError(
            f"invalid asymroute settings ({problems}); fix the environment or .env"
        ) from exc


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning pydantic's validation report into a `ConfigurationError`."""
    return read_settings(Settings, **overrides)
