"""`openai:<model>`: OpenAI or any OpenAI-compatible server (vLLM, llama.cpp, LiteLLM...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import SecretStr

from asymroute.errors import ConfigurationError
from asymroute.privacy.scrub import known_secrets
from asymroute.providers.base import ModelOptions
from asymroute.providers.masking import masking_errors, with_masked_errors

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from asymroute.settings import Settings

# Self-hosted OpenAI-compatible servers usually accept any key; the client insists on one.
UNAUTHENTICATED_KEY = SecretStr("no-key-configured")


class OpenAIProvider:
    name = "openai"
    example = "openai:gpt-4o-mini"

    def is_configured(self, settings: Settings) -> bool:
        return settings.frontier_openai_configured

    def endpoint(self, model: str, settings: Settings) -> str:
        return f"openai {settings.openai_base_url or 'https://api.openai.com/v1'} {model}"

    def create(self, model: str, settings: Settings, options: ModelOptions) -> BaseChatModel:
        import httpx
        from langchain_openai import ChatOpenAI

        if not self.is_configured(settings):
            raise ConfigurationError(
                f"openai:{model} needs OPENAI_API_KEY (for api.openai.com) or OPENAI_BASE_URL "
                "(for an OpenAI-compatible server); set one in the environment or .env"
            )
        chat_model = masking_errors(ChatOpenAI)(
            model=model,
            api_key=settings.openai_api_key or UNAUTHENTICATED_KEY,
            base_url=settings.openai_base_url or None,
            temperature=options.temperature,
            max_completion_tokens=options.max_output_tokens,
            timeout=httpx.Timeout(options.timeout_s, connect=options.connect_timeout_s),
            max_retries=options.max_retries,
            stream_usage=True,
            # llama.cpp's server returns log-probs only when top_logprobs is given too.
            logprobs=True if options.logprobs else None,
            top_logprobs=1 if options.logprobs else None,
            stop_sequences=list(options.stop) or None,
            # OpenAI now reads max_completion_tokens; compatible servers still read max_tokens.
            extra_body={"max_tokens": options.max_output_tokens}
            if settings.openai_base_url
            else None,
        )
        return with_masked_errors(chat_model, known_secrets(settings))
