"""The model list: one declarative file naming deployments and ordering them into tiers.

YAML (`.yaml`/`.yml`, PyYAML's safe loader) or TOML (`.toml`, the standard library's
`tomllib`), chosen by extension; path from `ASYMROUTE_MODEL_LIST`. Validated by pydantic;
every problem is a `ConfigurationError` naming the file, the entry and the field. Keys are named
by environment variable (`api_key_env`), never written in the file; a variable that is not set
fails when the list is loaded (router build, `asymroute serve` start), not at the first call.

```yaml
deployments:
  - id: vllm-a
    provider: openai
    model: llama-3.1-70b
    base_url: http://10.0.0.5:8000/v1
    max_concurrency: 32
  - id: openai
    provider: openai
    model: gpt-4o-mini
    api_key_env: OPENAI_API_KEY
    price: {input_per_million: 0.15, output_per_million: 0.6}
tiers:
  frontier: [[vllm-a, vllm-b], openai]   # a group of equals, then a fallback
```
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from asymroute.deployments import Capabilities, Deployment, TierDeployments
from asymroute.errors import ConfigurationError
from asymroute.pricing.base import ModelPrice
from asymroute.providers import PROVIDERS, parse_model
from asymroute.records import Tier

ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class CapabilitiesEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tools: bool | None = None
    json_mode: bool | None = None
    vision: bool | None = None


class DeploymentEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    provider: str = Field(min_length=1)
    model: str = Field(min_length=1)
    base_url: str | None = Field(default=None, min_length=1)
    api_key_env: str | None = Field(default=None, pattern=ENV_NAME)
    """The NAME of the environment variable holding the key (the file never holds a key)."""
    price: ModelPrice | Literal["unknown"] | None = None
    context_window: int | None = Field(default=None, gt=0)
    capabilities: CapabilitiesEntry = Field(default_factory=CapabilitiesEntry)
    max_concurrency: int | None = Field(default=None, ge=1)
    weight: float = Field(default=1.0, gt=0)


TierEntry = str | list[str]
"""A deployment id, or a group of ids that share the load."""


class ModelListFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    deployments: list[DeploymentEntry] = Field(min_length=1)
    tiers: dict[Literal["local", "frontier"], list[TierEntry]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ids_known_and_unique(self) -> ModelListFile:
        seen: set[str] = set()
        for entry in self.deployments:
            if entry.id in seen:
                raise ValueError(f"deployment id {entry.id!r} is used twice")
            seen.add(entry.id)
        for tier, entries in self.tiers.items():
            for item in entries:
                for name in [item] if isinstance(item, str) else item:
                    if name not in seen:
                        raise ValueError(
                            f"tiers.{tier} names {name!r}, which is not a deployment id "
                            f"(the ids: {', '.join(sorted(seen))})"
                        )
        return self


@dataclass(frozen=True)
class ModelList:
    path: Path
    deployments: Mapping[str, Deployment]
    tiers: Mapping[Tier, TierDeployments]


def load_model_list(path: Path | str) -> ModelList:
    """Read, validate and resolve the file; raises `ConfigurationError` saying what to fix."""
    path = Path(path)
    parsed = _validated(path, _read(path))
    deployments = {entry.id: _deployment(path, entry) for entry in parsed.deployments}
    tiers: dict[Tier, TierDeployments] = {
        tier: tuple(
            tuple(deployments[name] for name in ([item] if isinstance(item, str) else item))
            for item in entries
            if item  # an empty group adds nothing
        )
        for tier, entries in parsed.tiers.items()
        if entries
    }
    return ModelList(path=path, deployments=deployments, tiers=tiers)


def _read(path: Path) -> Any:
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".toml"):
        raise ConfigurationError(
            f"model list {path}: unknown format {suffix or '(no extension)'!r}; "
            "name it .yaml, .yml or .toml"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"model list {path} cannot be read ({exc.strerror or exc}); check ASYMROUTE_MODEL_LIST"
        ) from exc
    try:
        return tomllib.loads(text) if suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"model list {path} is not valid {suffix[1:]}: {exc}") from exc


def _validated(path: Path, raw: Any) -> ModelListFile:
    try:
        return ModelListFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_where(raw, error['loc'])}: {_message(error)}"
            for error in exc.errors()
            if not _other_branch(error)
        )
        raise ConfigurationError(f"model list {path}: {problems}") from exc


def _message(error: Any) -> str:
    if error["type"] == "literal_error" and "price" in error["loc"]:
        return "should be unknown, or {input_per_million: USD, output_per_million: USD}"
    return str(error["msg"]).removeprefix("Value error, ")


def _other_branch(error: Any) -> bool:
    """An error of the union member the value was plainly not meant as (a price given as a
    table is not a misspelt "unknown"; "cheap" is not a malformed table): not reported."""
    value = error.get("input")
    return (error["type"] == "literal_error" and isinstance(value, Mapping)) or (
        error["type"] == "model_type" and isinstance(value, str)
    )


def _where(raw: Any, loc: Sequence[int | str]) -> str:
    """`deployments[1] (id 'vllm-b').max_concurrency`: the entry by position and id, the field."""
    if not loc:
        return "the file" if not isinstance(raw, Mapping) else "the list"
    parts: list[str] = []
    node = raw
    for part in loc:
        if isinstance(part, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{part}]"]
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, Mapping) and isinstance(node.get("id"), str):
                parts[-1] += f" (id {node['id']!r})"
        else:
            if part not in ("str", "list[str]", "ModelPrice", "literal['unknown']"):
                parts.append(str(part))  # pydantic names union members in `loc`: not fields
            node = node.get(part) if isinstance(node, Mapping) else None
    return ".".join(parts)


def _deployment(path: Path, entry: DeploymentEntry) -> Deployment:
    where = f"model list {path}: deployment {entry.id!r}"
    try:  # an installed provider (the message lists them), and its own checks of the model
        spec = parse_model(f"{entry.provider}:{entry.model}", role="model")
    except ConfigurationError as exc:
        raise ConfigurationError(f"{where}: {exc}") from None
    if getattr(PROVIDERS[entry.provider], "in_process", False) and (
        entry.base_url is not None or entry.api_key_env is not None
    ):
        raise ConfigurationError(
            f"{where}: provider {entry.provider!r} runs the model in this process; it takes no "
            "base_url and no api_key_env (remove them, or use an HTTP provider such as openai)"
        )
    key: SecretStr | None = None
    if entry.api_key_env is not None:
        value = os.environ.get(entry.api_key_env, "")
        if not value:
            raise ConfigurationError(
                f"{where}: its key variable {entry.api_key_env} is not set; export "
                f"{entry.api_key_env}=... before starting (or drop api_key_env for an endpoint "
                "that needs no key)"
            )
        key = SecretStr(value)
    caps = entry.capabilities
    return Deployment(
        id=entry.id,
        spec=spec,
        base_url=entry.base_url,
        api_key=key,
        api_key_env=entry.api_key_env,
        price=entry.price,
        context_window=entry.context_window,
        capabilities=Capabilities(caps.tools, caps.json_mode, caps.vision),
        max_concurrency=entry.max_concurrency,
        weight=entry.weight,
        listed=True,
    )
