"""Built-in prices (USD per million tokens, list prices) with user overrides on top."""

from __future__ import annotations

from collections.abc import Mapping

from asymroute.pricing.base import ModelPrice

# Hardware you already run costs nothing per call.
LOCAL_PROVIDERS = frozenset({"ollama", "llamacpp"})
# `langchain:INTEGRATION:MODEL` (providers.langchain_models): priced under MODEL.
LANGCHAIN_PROVIDER = "langchain"

LIST_PRICES: Mapping[str, ModelPrice] = {
    name: ModelPrice(input_per_million=inp, output_per_million=out)
    for name, (inp, out) in {
        "gpt-4o": (2.50, 10.00),
        "gpt-4o-mini": (0.15, 0.60),
        "gpt-4.1": (2.00, 8.00),
        "gpt-4.1-mini": (0.40, 1.60),
        "gpt-4.1-nano": (0.10, 0.40),
        "gpt-4-turbo": (10.00, 30.00),
        "gpt-4-1106-preview": (10.00, 30.00),
        "gpt-4": (30.00, 60.00),
        "gpt-3.5-turbo": (0.50, 1.50),
        "gpt-5": (1.25, 10.00),
        "gpt-5-mini": (0.25, 2.00),
        "gpt-5-nano": (0.05, 0.40),
        "o1": (15.00, 60.00),
        "o3": (2.00, 8.00),
        "o3-mini": (1.10, 4.40),
        "o4-mini": (1.10, 4.40),
        "claude-3-5-sonnet": (3.00, 15.00),
        "claude-sonnet-4": (3.00, 15.00),
        "claude-3-5-haiku": (0.80, 4.00),
        "claude-haiku-4-5": (1.00, 5.00),
        "claude-opus-4-1": (15.00, 75.00),
        "gemini-2.5-pro": (1.25, 10.00),
        "gemini-2.5-flash": (0.30, 2.50),
        "gemini-2.5-flash-lite": (0.10, 0.40),
        "gemini-2.0-flash": (0.10, 0.40),
        "mixtral-8x7b-instruct": (0.60, 0.60),
        "llama-3.1-70b-instruct": (0.88, 0.88),
        "llama-3.1-8b-instruct": (0.18, 0.18),
    }.items()
}


class DefaultPriceTable:
    """List prices, local providers at zero, and overrides keyed `provider:model` or `model`.

    Dated variants (`gpt-4o-2024-08-06`) fall back to the longest listed prefix. A model
    reached through a LangChain integration (`langchain:anthropic:claude-sonnet-4-5`) is
    priced as its model (`claude-sonnet-4-5`) when no override names it in full.
    """

    name = "default"

    def __init__(self, overrides: Mapping[str, ModelPrice] | None = None) -> None:
        self._overrides = dict(overrides or {})

    def price_for(self, provider: str, model: str) -> ModelPrice | None:
        for key in (f"{provider}:{model}", model):
            if key in self._overrides:
                return self._overrides[key]
        if provider in LOCAL_PROVIDERS:
            return ModelPrice(input_per_million=0.0, output_per_million=0.0)
        if provider == LANGCHAIN_PROVIDER and ":" in model:
            integration, _, model = model.partition(":")
            if integration in LOCAL_PROVIDERS:
                return ModelPrice(input_per_million=0.0, output_per_million=0.0)
            if model in self._overrides:
                return self._overrides[model]
        if model in LIST_PRICES:
            return LIST_PRICES[model]
        prefixes = [name for name in LIST_PRICES if model.startswith(name + "-")]
        if prefixes:
            return LIST_PRICES[max(prefixes, key=len)]
        return None
