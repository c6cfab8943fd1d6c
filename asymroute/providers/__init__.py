"""Model providers by name; a model is chosen with a `provider:model` string.

Layer: the floor's extension points; providers import `settings`, `privacy` (masking),
`json_mode`, `requests` and `errors`, nothing from the node runtime or above.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from asymroute.errors import ConfigurationError
from asymroute.providers.base import ModelOptions, ModelProvider, ModelSpec
from asymroute.providers.langchain_models import LangChainProvider, unknown_provider_hint
from asymroute.providers.llamacpp import LlamaCppProvider
from asymroute.providers.ollama import OllamaProvider
from asymroute.providers.openai import OpenAIProvider

if TYPE_CHECKING:
    from asymroute.settings import Settings

PROVIDERS: dict[str, ModelProvider] = {
    provider.name: provider
    for provider in (OllamaProvider(), OpenAIProvider(), LlamaCppProvider(), LangChainProvider())
}


def _valid_forms() -> str:
    return ", ".join(f"{name} (e.g. {p.example})" for name, p in sorted(PROVIDERS.items()))


def _hint(provider: str, model: str) -> str:
    if provider.lower() in PROVIDERS:  # OpenAI:gpt-4o
        return f"; did you mean {provider.lower()}:{model}?"
    return unknown_provider_hint(provider, model)


def parse_model(model_string: str, *, role: str = "model") -> ModelSpec:
    """Split `provider:model`; raises `ConfigurationError` naming the valid providers."""
    if not isinstance(model_string, str):
        raise ConfigurationError(
            f"{role} must be a 'provider:model' string, got {type(model_string).__name__}; "
            f"valid providers: {_valid_forms()}"
        )
    provider, sep, model = model_string.strip().partition(":")
    if not sep or not provider or not model.strip():
        raise ConfigurationError(
            f"{role} {model_string!r} is not of the form 'provider:model'; "
            f"valid providers: {_valid_forms()}"
        )
    if provider not in PROVIDERS:
        raise ConfigurationError(
            f"{role} {model_string!r} names unknown provider {provider!r}; "
            f"valid providers: {_valid_forms()}{_hint(provider, model.strip())}"
        )
    check = getattr(PROVIDERS[provider], "check_model", None)
    if callable(check):  # the provider's own checks of the model part (no I/O)
        try:
            check(model.strip())
        except ConfigurationError as exc:
            raise ConfigurationError(f"{role} {model_string!r}: {exc}") from None
    return ModelSpec(provider=provider, model=model.strip())


def get_provider(spec: ModelSpec) -> ModelProvider:
    return PROVIDERS[spec.provider]


def endpoint_of(spec: ModelSpec, settings: Settings, base_url: str | None = None) -> str:
    """What a cooldown applies to: provider, base URL and model (a provider may omit the URL).
    `base_url`: a deployment's own endpoint (the model list), overriding the provider's."""
    if base_url is not None:
        return f"{spec.provider} {base_url} {spec.model}"
    endpoint = getattr(get_provider(spec), "endpoint", None)
    return str(endpoint(spec.model, settings)) if callable(endpoint) else spec.id


def sampling_parameters(spec: ModelSpec) -> frozenset[str]:
    """The sampling parameters the model's provider sends on: per model where the provider
    says (`model_sampling_parameters`), else the provider's `sampling_parameters`."""
    provider = get_provider(spec)
    per_model = getattr(provider, "model_sampling_parameters", None)
    if callable(per_model):
        return frozenset(per_model(spec.model))
    return frozenset(getattr(provider, "sampling_parameters", frozenset()))


def check_credentials(spec: ModelSpec, settings: Settings) -> None:
    """Raises `ConfigurationError` when the model's provider finds its key missing from the
    environment (`check_credentials(model, settings)`, no I/O); a provider without the hook
    says so when the model is built or called."""
    check = getattr(get_provider(spec), "check_credentials", None)
    if callable(check):
        check(spec.model, settings)


def _at(base_url: str | None) -> dict[str, str]:
    """A deployment's own server as the hooks' keyword (none: the provider's settings)."""
    return {"base_url": base_url} if base_url is not None else {}


def calls_tools(spec: ModelSpec, settings: Settings, base_url: str | None = None) -> bool:
    """Whether the model can be sent tools: its provider can (`calls_tools`), and the model
    itself was not found unable (a provider's `model_calls_tools`, from what it learned with
    `learn_capabilities` / `alearn_capabilities`; no I/O here). `base_url`: the deployment's
    own server, whose answer is kept apart from another server's."""
    provider = get_provider(spec)
    if not getattr(provider, "calls_tools", False):
        return False
    per_model = getattr(provider, "model_calls_tools", None)
    return bool(per_model(spec.model, settings, **_at(base_url))) if callable(per_model) else True


def learn_capabilities(spec: ModelSpec, settings: Settings, base_url: str | None = None) -> None:
    """Ask the model's server what the model can do, once (blocking), if its provider can."""
    learn = getattr(get_provider(spec), "learn_capabilities", None)
    if callable(learn):
        learn(spec.model, settings, **_at(base_url))


async def alearn_capabilities(
    spec: ModelSpec, settings: Settings, base_url: str | None = None
) -> None:
    """`learn_capabilities` without blocking the event loop."""
    learn = getattr(get_provider(spec), "alearn_capabilities", None)
    if callable(learn):
        await learn(spec.model, settings, **_at(base_url))


__all__ = [
    "PROVIDERS",
    "ModelOptions",
    "ModelProvider",
    "ModelSpec",
    "alearn_capabilities",
    "calls_tools",
    "check_credentials",
    "endpoint_of",
    "get_provider",
    "learn_capabilities",
    "parse_model",
    "sampling_parameters",
]
