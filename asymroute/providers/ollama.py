"""`ollama:<model>`: a model served by Ollama's native API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from asymroute.json_mode import ollama_format
from asymroute.providers import ollama_capabilities
from asymroute.providers.async_http import missing_package
from asymroute.providers.base import ModelOptions
from asymroute.providers.sampling import SAMPLING_PARAMETERS

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from asymroute.settings import Settings


class OllamaProvider:
    name = "ollama"
    example = "ollama:llama3.1:8b"
    # Ollama's options take seed, top_p and both penalties; its chat API returns log-probs
    # (0.12.11+). It has no logit_bias and one choice per call. Models that read images
    # (llava, ...) are named in the context's accepts_content.
    # reasoning_effort: Ollama's `think` takes levels for some models only; it is not mapped.
    sampling_parameters = frozenset(SAMPLING_PARAMETERS) - {"n", "logit_bias", "reasoning_effort"}
    calls_tools = True
    """Tools are bound with `bind_tools`; Ollama has no `tool_choice` (the validator checks it).
    A model whose `/api/show` lists no "tools" capability is not sent them
    (`providers.ollama_capabilities`)."""

    def model_calls_tools(
        self, model: str, settings: Settings, base_url: str | None = None
    ) -> bool:
        return ollama_capabilities.calls_tools(model, settings, base_url)

    def learn_capabilities(
        self, model: str, settings: Settings, base_url: str | None = None
    ) -> None:
        ollama_capabilities.learn_capabilities(model, settings, base_url)

    async def alearn_capabilities(
        self, model: str, settings: Settings, base_url: str | None = None
    ) -> None:
        await ollama_capabilities.alearn_capabilities(model, settings, base_url)

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

        from asymroute.providers.ollama_chat import PenalisedChatOllama

        sampling = options.sampling
        return PenalisedChatOllama(
            model=model,
            seed=sampling.seed,
            top_p=sampling.top_p,
            presence_penalty=sampling.presence_penalty,
            frequency_penalty=sampling.frequency_penalty,
            top_logprobs=sampling.top_logprobs or None,
            base_url=options.base_url or settings.ollama_base_url,
            temperature=options.temperature,
            num_predict=options.max_output_tokens,
            logprobs=True if options.logprobs or sampling.logprobs_wanted else None,
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
