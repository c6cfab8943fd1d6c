"""The model-provider extension point: a `provider:model` string becomes a chat model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import SecretStr

from asymroute.providers.sampling import Sampling

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from asymroute.settings import Settings


@dataclass(frozen=True)
class ModelSpec:
    """A parsed `provider:model` string; the model part may itself contain colons."""

    provider: str
    model: str

    @property
    def id(self) -> str:
        return f"{self.provider}:{self.model}"


@dataclass(frozen=True)
class ModelOptions:
    """Call options common to every provider."""

    max_output_tokens: int
    temperature: float
    timeout_s: float
    connect_timeout_s: float
    max_retries: int = 0
    stop: tuple[str, ...] = ()
    logprobs: bool = False
    """Ask for per-token log-probs (response_metadata["logprobs"]) where the provider can."""
    response_format: Mapping[str, Any] | None = field(default=None, hash=False)
    """The request's OpenAI `response_format` (JSON mode), forwarded in the provider's terms
    (`asymroute.json_mode`); None: free text."""
    sampling: Sampling = field(default_factory=Sampling)
    """The run's sampling parameters (n, seed, top_p, penalties, logprobs, logit_bias), sent
    in the provider's own terms; only those in the provider's `sampling_parameters` are set."""
    base_url: str | None = None
    """A deployment's own endpoint (the model list), overriding the provider's settings;
    None: the provider's configured endpoint."""
    api_key: SecretStr | None = field(default=None, repr=False)
    """A deployment's own key, read from the environment variable its model list entry
    names; None: the provider's configured key."""
    async_http_client: Any = field(default=None, compare=False)
    """For a model used under `ainvoke`: a shared async HTTP client to send through
    (`providers.async_http`); None: the provider's default."""


class ModelProvider(Protocol):
    """Optional hooks, looked up by name: `endpoint(model, settings)` (what a cooldown applies
    to), `new_aiohttp_client()` (the shared client for calls under `ainvoke` when
    `ASYMROUTE_ASYNC_HTTP_CLIENT=aiohttp`; see `providers.async_http`), and
    `served_model(model, settings)` / async `aserved_model` (the name the server really
    answers with, None when unknown; see `providers.served_models`).
    Tools: `calls_tools` (the provider can bind them), and, per model,
    `model_calls_tools(model, settings)` (no I/O) after `learn_capabilities(model, settings)`
    / async `alearn_capabilities` asked the server (`providers.ollama_capabilities`); each
    also takes `base_url=` for a model list deployment's own server.

    What a model can honour (asymroute.sampling): `sampling_parameters`, a frozenset of the
    sampling parameter names the provider sends on (none when absent), and
    `content_kinds(model)`, the non-text content (image, audio, file) the model reads (none
    when absent)."""

    name: str
    example: str

    def is_configured(self, settings: Settings) -> bool:
        """Whether the endpoint this provider needs is configured at all."""
        ...

    def create(self, model: str, settings: Settings, options: ModelOptions) -> BaseChatModel:
        """A chat model ready to call; raises `ConfigurationError` when it cannot be built."""
        ...
