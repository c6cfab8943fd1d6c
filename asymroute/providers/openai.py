"""`openai:<model>`: OpenAI or any OpenAI-compatible server (vLLM, llama.cpp, LiteLLM...)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from langchain_core.outputs import ChatResult
from pydantic import SecretStr

from asymroute.errors import ConfigurationError
from asymroute.json_mode import json_object_with_schema
from asymroute.privacy.scrub import known_secrets
from asymroute.providers.async_http import missing_package
from asymroute.providers.base import ModelOptions
from asymroute.providers.masking import masking_errors, with_masked_errors
from asymroute.providers.sampling import SAMPLING_PARAMETERS
from asymroute.providers.served_models import aserved_model, served_model

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from asymroute.settings import Settings

# OpenAI's models that read images (and PDF files) besides text, by name prefix (dated
# snapshots such as gpt-4o-2024-08-06 included); audio-preview models read audio instead.
OPENAI_VISION_PREFIXES = (
    "gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4.5", "gpt-4-turbo", "gpt-5", "o1", "o3", "o4",
)  # fmt: skip


def openai_content_kinds(model: str) -> frozenset[str]:
    if "audio" in model:
        return frozenset({"audio"})
    if model.startswith(OPENAI_VISION_PREFIXES) and not model.startswith(("o1-mini", "o3-mini")):
        return frozenset({"image", "file"})
    return frozenset()


# Self-hosted OpenAI-compatible servers usually accept any key; the client insists on one.
UNAUTHENTICATED_KEY = SecretStr("no-key-configured")


class OpenAIProvider:
    name = "openai"
    example = "openai:gpt-4o-mini"
    calls_tools = True
    """Tools are bound with `bind_tools` (`asymroute.tool_calls`)."""
    parallel_tool_calls = True
    sampling_parameters = frozenset(SAMPLING_PARAMETERS)

    def content_kinds(self, model: str) -> frozenset[str]:
        return openai_content_kinds(model)

    def is_configured(self, settings: Settings) -> bool:
        return settings.frontier_openai_configured

    def endpoint(self, model: str, settings: Settings) -> str:
        return f"openai {settings.openai_base_url or 'https://api.openai.com/v1'} {model}"

    def served_model(
        self,
        model: str,
        settings: Settings,
        base_url: str | None = None,
        api_key: SecretStr | None = None,
    ) -> str | None:
        """The model a self-hosted server really answers with (providers.served_models);
        `base_url` / `api_key`: a deployment's own, overriding the settings'."""
        return served_model(model, settings, base_url, api_key)

    async def aserved_model(
        self,
        model: str,
        settings: Settings,
        base_url: str | None = None,
        api_key: SecretStr | None = None,
    ) -> str | None:
        return await aserved_model(model, settings, base_url, api_key)

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
        # The SDK's own Timeout: openai 3.x runs on httpx2, whose clients misread an
        # `httpx.Timeout` (every field became the object itself) and, from httpx2 2.17, refuse it.
        from openai import Timeout

        base_url = options.base_url or settings.openai_base_url or None
        api_key = options.api_key or settings.openai_api_key
        if not (base_url or api_key):
            raise ConfigurationError(
                f"openai:{model} needs OPENAI_API_KEY (for api.openai.com) or OPENAI_BASE_URL "
                "(for an OpenAI-compatible server); set one in the environment or .env"
            )
        chat_model = masking_errors(direct_result_chat_openai())(
            model=model,
            api_key=api_key or UNAUTHENTICATED_KEY,
            base_url=base_url,
            temperature=options.temperature,
            max_completion_tokens=options.max_output_tokens,
            timeout=Timeout(options.timeout_s, connect=options.connect_timeout_s),
            max_retries=options.max_retries,
            stream_usage=True,
            stop_sequences=list(options.stop) or None,
            **sampling_kwargs(options),
            # OpenAI now reads max_completion_tokens; compatible servers still read max_tokens.
            extra_body={
                **({"max_tokens": options.max_output_tokens} if base_url else {}),
                **response_format_body(options, settings),
                # ChatOpenAI types logit_bias as int -> int; OpenAI takes any number.
                **({"logit_bias": dict(bias)} if (bias := options.sampling.logit_bias) else {}),
            }
            or None,
            http_async_client=options.async_http_client,  # None: the SDK's default
        )
        secrets = known_secrets(settings)
        if options.api_key is not None:  # a deployment's own key is masked in errors too
            secrets = (*secrets, options.api_key.get_secret_value())
        return with_masked_errors(chat_model, secrets)


def sampling_kwargs(options: ModelOptions) -> dict[str, Any]:
    """The run's sampling parameters as ChatOpenAI fields (logit_bias goes in the body)."""
    sampling = options.sampling
    logprobs = options.logprobs or sampling.logprobs_wanted
    kwargs: dict[str, Any] = {
        "n": sampling.n if sampling.n > 1 else None,
        "seed": sampling.seed,
        "top_p": sampling.top_p,
        "presence_penalty": sampling.presence_penalty,
        "frequency_penalty": sampling.frequency_penalty,
        "reasoning_effort": sampling.reasoning_effort,
        # llama.cpp's server returns log-probs only when top_logprobs is given too.
        "logprobs": True if logprobs else None,
        "top_logprobs": (sampling.top_logprobs or 1) if logprobs else None,
    }
    kwargs = {name: value for name, value in kwargs.items() if value is not None}
    if sampling.n > 1 or sampling.logprobs_wanted:
        # One whole reply: LangChain's stream keeps only the first choice, and the gateway
        # sends such answers whole anyway (gateway.streaming).
        kwargs["disable_streaming"] = True
    return kwargs


def fold_choices(result: ChatResult) -> ChatResult:
    """A reply with n > 1 choices as one message: `invoke` returns the first generation only,
    so the others ride in its `response_metadata["more_choices"]` (content, finish reason,
    log-probs). The first message's usage already counts every choice's tokens."""
    if len(result.generations) < 2:
        return result
    first, *rest = result.generations
    # The finish reason and log-probs are still in generation_info here: LangChain moves
    # them into response_metadata after this (for the generation it returns).
    infos = [{**(g.generation_info or {}), **g.message.response_metadata} for g in rest]
    more = [
        {
            "content": generation.message.content,
            "finish_reason": info.get("finish_reason"),
            "logprobs": info.get("logprobs"),
        }
        for generation, info in zip(rest, infos, strict=True)
    ]
    first.message.response_metadata["more_choices"] = more
    return ChatResult(generations=[first], llm_output=result.llm_output)


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

        def _create_chat_result(self, response: Any, generation_info: Any = None) -> ChatResult:
            return fold_choices(super()._create_chat_result(response, generation_info))

    # Traces and serialisation keep LangChain's class name.
    DirectResultChatOpenAI.__name__ = DirectResultChatOpenAI.__qualname__ = "ChatOpenAI"
    return DirectResultChatOpenAI
