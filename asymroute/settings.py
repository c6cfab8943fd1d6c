"""Endpoints, secrets and limits, read from the environment and `.env`.

Per-run choices (which models, threshold, ...) live in `RouterContext` instead.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from asymroute.errors import ConfigurationError
from asymroute.pricing.base import ModelPrice


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    ollama_base_url: str = Field(
        default="http://localhost:11434", validation_alias="OLLAMA_BASE_URL"
    )
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")

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
    max_prompt_chars: int = Field(
        default=200_000, gt=0, validation_alias="ASYMROUTE_MAX_PROMPT_CHARS"
    )
    llamacpp_n_ctx: int = Field(default=4096, ge=256, validation_alias="ASYMROUTE_LLAMACPP_N_CTX")
    llamacpp_threads: int | None = Field(
        default=None, ge=1, validation_alias="ASYMROUTE_LLAMACPP_THREADS"
    )

    @field_validator("price_overrides", mode="before")
    @classmethod
    def _parse_price_json(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value) if value.strip() else {}
            except json.JSONDecodeError as exc:
                raise ValueError(f"ASYMROUTE_PRICES is not valid JSON: {exc}") from exc
        return value

    @property
    def frontier_openai_configured(self) -> bool:
        """An OpenAI-compatible frontier needs a key (api.openai.com) or a base URL."""
        return self.openai_api_key is not None or bool(self.openai_base_url)


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning pydantic's validation report into a `ConfigurationError`."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    try:
        return Settings(**overrides)
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
