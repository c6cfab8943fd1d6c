"""`ollama:<model>`: a model served by Ollama's native API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from asymroute.json_mode import ollama_format
from asymroute.providers.async_http import missing_package
from asymroute.providers.base import ModelOptions

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from asymroute.settings import Settings


class OllamaProvider:
    name = "ollama"
    example = "ollama:llama3.1:8b"
    calls_tools = True
    """Tools are bound with `bind_tools`; Ollama has no `tool_choice` (the validator checks it)."""

    def is_configured(self, settings: Settings) -> bool:
        return bool(settings.ollama_base_url)

    def endpoint(self, model: str, settings: Settings) -> str:
        return f"ollama {settings.ollama_base_url} {model}"

    def new_aiohttp_client(self) -> Any:
        """The shared transport under `ainvoke` when aiohttp is chosen (providers.async_http)."""
        try:
            from httpx_aiohttp import AiohttpTransport
        except ImportError:
            raise missing_package("httpx-aiohttp") from None
        # Per-call timeouts come from the httpx client's `timeout`, sent with every request.
        return AiohttpTransport()

    def create(self, model: str, settings: Settings, options: ModelOptions) -> BaseChatModel:
        import httpx
        from langchain_ollama import ChatOllama

        return ChatOllama(
            model=model,
            base_url=settings.ollama_base_url,
            temperature=options.temperature,
            num_predict=options.max_output_tokens,
            logprobs=True if options.logprobs else None,
            stop=list(options.stop) or None,
            format=ollama_format(options.response_format),  # the schema itself, or "json"
            client_kwargs={
                "timeout": httpx.Timeout(options.timeout_s, connect=options.connect_timeout_s)
            },
            # A shared transport (providers.async_http) for calls under ainvoke, if any.
            async_client_kwargs={"transport": options.async_http_client}
            if options.async_http_client is not None
            else {},
        )
