"""`openai:<model>`: OpenAI or any OpenAI-compatible server (vLLM, llama.cpp, LiteLLM...)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from asymroute.errors import ConfigurationError
from asymroute.json_mode import json_object_with_schema
from asymroute.privacy.scrub import known_secrets
from asymroute.providers.async_http import missing_package
from asymroute.providers.base import ModelOptions
from asymroute.providers.masking import masking_errors, with_masked_errors
from asymroute.providers.served_models import aserved_model, served_model

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from asymroute.settings import Settings

# Self-hosted OpenAI-compatible servers usually accept any key; the client insists on one.
UNAUTHENTICATED_KEY = SecretStr("no-key-configured")


class OpenAIProvider:
    name = "openai"
    example = "openai:gpt-4o-mini"
    calls_tools = True
    """Tools are bound with `bind_tools` (`asymroute.tool_calls`)."""
    parallel_tool_calls = True

    def is_configured(self, settings: Settings) -> bool:
        return settings.frontier_openai_configured

    def endpoint(self, model: str, settings: Settings) -> str:
        return f"openai {settings.openai_base_url or 'https://api.openai.com/v1'} {model}"

    def served_model(self, model: str, settings: Settings) -> str | None:
        """The model a self-hosted server really answers with (providers.served_models)."""
        return served_model(model, settings)

    async def aserved_model(self, model: str, settings: Settings) -> str | None:
        return await aserved_model(model, settings)

    def new_aiohttp_client(self) -> Any:
        """The shared async client under `ainvoke` when aiohttp is chosen (providers.async_http)."""
        try:
            import aiohttp  # noqa: F401
            from openai import DefaultAioHttpClient
        except ImportError:
            raise missing_package("openai[aiohttp]") from None
        # The SDK's own defaults (connection limits, redirects); per-call timeouts still come
        # from each model's `timeout`, which the SDK attaches to every request.
        return DefaultAioHttpClient()

    def create(self, model: str, settings: Settings, options: ModelOptions) -> BaseChatModel:
        import httpx

        if not self.is_configured(settings):
            raise ConfigurationError(
                f"openai:{model} needs OPENAI_API_KEY (for api.openai.com) or OPENAI_BASE_URL "
                "(for an OpenAI-compatible server); set one in the environment or .env"
            )
        chat_model = masking_errors(direct_result_chat_openai())(
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
            extra_body={
                **({"max_tokens": options.max_output_tokens} if settings.openai_base_url else {}),
                **response_format_body(options, settings),
            }
            or None,
            http_async_client=options.async_http_client,  # None: the SDK's default
        )
        return with_masked_errors(chat_model, known_secrets(settings))


def response_format_body(options: ModelOptions, settings: Settings) -> dict[str, Any]:
    """JSON mode in OpenAI's terms, or in the older json_object-with-schema form for servers
    that read only that (`ASYMROUTE_OPENAI_SCHEMA_FORM=json_object`: llama-cpp-python's).

    Sent in the request body, not as LangChain's `response_format`: with that, LangChain calls
    the SDK's `parse`, which raises on an answer stopped at max_tokens (its billed tokens then
    go unrecorded) where the router wants the answer and its finish reason."""
    if not options.response_format:
        return {}
    if settings.openai_schema_form == "json_object":
        return {"response_format": json_object_with_schema(options.response_format)}
    return {"response_format": dict(options.response_format)}


@cache
def direct_result_chat_openai() -> type[BaseChatModel]:
    """`ChatOpenAI` whose async chat-completion path builds its result on the event loop.

    `ChatOpenAI._agenerate` hands the parsed response to a thread pool to build the
    `ChatResult` (a few dict lookups): a thread hop per model call, about 0.5 ms of CPU, more
    than the work itself. This runs the same steps inline: same payload, same client call,
    same error translation, same result. Structured output and the Responses API keep
    LangChain's own path.
    """
    import openai
    from langchain_openai import ChatOpenAI
    from langchain_openai.chat_models import base as openai_chat

    class DirectResultChatOpenAI(ChatOpenAI):
        async def _agenerate(
            self,
            messages: Any,
            stop: list[str] | None = None,
            run_manager: Any = None,
            **kwargs: Any,
        ) -> Any:
            payload = self._get_request_payload(messages, stop=stop, **kwargs)
            if "response_format" in payload or self._use_responses_api(payload):
                return await super()._agenerate(messages, stop, run_manager, **kwargs)
            raw_response = None
            try:
                raw_response = await self.async_client.with_raw_response.create(**payload)
                response = raw_response.parse()
            except openai.BadRequestError as exc:
                openai_chat._handle_openai_bad_request(exc)
            except openai.APIError as exc:
                openai_chat._handle_openai_api_error(exc)
            except Exception as exc:
                if raw_response is not None and hasattr(raw_response, "http_response"):
                    exc.response = raw_response.http_response  # type: ignore[attr-defined]
                raise
            generation_info: dict[str, Any] = {}
            if self.include_response_headers and raw_response is not None:
                generation_info = {"headers": dict(raw_response.headers)}
            openai_chat._add_gateway_metadata(generation_info, raw_response)
            return self._create_chat_result(response, generation_info)

    # Traces and serialisation keep LangChain's class name.
    DirectResultChatOpenAI.__name__ = DirectResultChatOpenAI.__qualname__ = "ChatOpenAI"
    return DirectResultChatOpenAI
