"""`langchain:<integration>:<model>`: any chat model LangChain's `init_chat_model` knows.

`langchain:anthropic:claude-sonnet-4-5`, `langchain:google_genai:gemini-2.5-flash`,
`langchain:mistralai:mistral-large-latest`...: the integration is the provider name
`init_chat_model` takes, the model part may hold colons. The integration's package is installed
by the user (`pip install 'asymroute[anthropic]'`, `asymroute[google]`, or `langchain` plus the
package LangChain names); without it the model string is a `ConfigurationError` naming the
extra (or the package) to install.

The model is built from LangChain's own registry of integrations (`init_chat_model`'s table:
module, class, constructor; `init_chat_model` itself would build the integration's class, not
a subclass), on a subclass of the integration's class that masks secrets in its errors, takes
OpenAI's `tool_choice` forms and reports OpenAI's finish reasons: the router and the gateway
read those (a Claude answer cut at max_tokens says `stop_reason: "max_tokens"`, a Gemini one
`finish_reason: "MAX_TOKENS"`; both become `finish_reason: "length"`).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from asymroute.errors import ConfigurationError
from asymroute.privacy.scrub import known_secrets
from asymroute.providers.base import ModelOptions
from asymroute.providers.langchain_integrations import (
    INTEGRATIONS,
    openai_finish_reason,
    openai_tool_choice,
)
from asymroute.providers.masking import masking_errors, with_masked_errors

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from asymroute.settings import Settings

FORM = "langchain:INTEGRATION:MODEL"


def registry() -> Mapping[str, tuple[str, str, Callable[..., Any]]]:
    """init_chat_model's integrations: name -> (module, class name, constructor)."""
    try:
        from langchain.chat_models import base
    except ImportError:
        raise ConfigurationError(
            f"{FORM} models need LangChain's init_chat_model: pip install 'asymroute[langchain]' "
            "(or an integration's extra, e.g. 'asymroute[anthropic]', 'asymroute[google]')"
        ) from None
    return base._BUILTIN_PROVIDERS  # init_chat_model's own table, see the module docstring


def installed() -> list[str]:
    """The integrations whose package is importable."""
    found = []
    for name, (module, _, _) in sorted(registry().items()):
        root = module.split(".", 1)[0]
        if importlib.util.find_spec(root) is not None:
            found.append(name)
    return found


def unknown_provider_hint(provider: str, model: str) -> str:
    """For a `provider:model` string whose provider is not asymroute's: how to reach it
    through LangChain, with the integrations installed ("" without LangChain)."""
    try:
        found = installed()
    except ConfigurationError:
        return ""
    name = provider.replace("-", "_").lower()
    if name in found:
        return f"; did you mean langchain:{name}:{model}? LangChain integrations installed: " + (
            ", ".join(found)
        )
    listed = f"LangChain integrations installed (as {FORM}): {', '.join(found) or 'none'}"
    if name in registry():
        package = registry()[name][0].split(".", 1)[0].replace("_", "-")
        return f"; LangChain's {name} integration: pip install {package}, then " + (
            f"langchain:{name}:{model}; {listed}"
        )
    return f"; {listed}"


def split(model: str) -> tuple[str, str]:
    """`INTEGRATION:MODEL` -> its parts; raises `ConfigurationError` on a bad form or an
    integration that is unknown or not installed."""
    integration, sep, name = model.partition(":")
    integration = integration.strip().replace("-", "_").lower()
    known = registry()
    if not sep or not name.strip() or integration not in known:
        what = f"unknown LangChain integration {integration!r}" if sep else "no integration"
        raise ConfigurationError(
            f"{what}; the form is {FORM} "
            f"(e.g. langchain:anthropic:claude-sonnet-4-5); installed integrations: "
            f"{', '.join(installed()) or 'none'}; all of LangChain's: {', '.join(sorted(known))}"
        )
    module = known[integration][0]
    if importlib.util.find_spec(module.split(".", 1)[0]) is None:
        package = module.split(".", 1)[0].replace("_", "-")
        extra = INTEGRATIONS[integration].extra if integration in INTEGRATIONS else None
        how = f"pip install 'asymroute[{extra}]'" if extra else f"pip install {package}"
        raise ConfigurationError(
            f"the {integration} integration needs the {package} package: {how}; installed "
            "integrations: "
            f"{', '.join(installed()) or 'none'}"
        )
    return integration, name.strip()


def _normalised(result: Any) -> Any:
    """A ChatResult or ChatGenerationChunk with OpenAI's finish reasons (Claude's whole
    answers carry theirs in the result's llm_output, which LangChain copies afterwards)."""
    shared = openai_finish_reason(getattr(result, "llm_output", None))
    for generation in getattr(result, "generations", None) or [result]:
        info, metadata = generation.generation_info, generation.message.response_metadata
        if reason := openai_finish_reason(info):
            info["finish_reason"] = reason
        if reason := openai_finish_reason(metadata) or shared:
            metadata["finish_reason"] = reason
    return result


@cache
def integrated(base: type[BaseChatModel], integration: str) -> type[BaseChatModel]:
    """`base` masking secrets in its errors, with OpenAI's tool choices and finish reasons."""
    known = INTEGRATIONS.get(integration)
    none_choice = known.none_tool_choice if known else "none"

    class Integrated(masking_errors(base)):  # type: ignore[misc,valid-type]
        def bind_tools(self, tools: Any, *, tool_choice: Any = None, **kwargs: Any) -> Any:
            choice = openai_tool_choice(tool_choice, none_choice)
            return super().bind_tools(tools, tool_choice=choice, **kwargs)

        # `run_manager` is named so that LangChain passes it (it inspects the signature).
        def _generate(
            self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any
        ) -> Any:
            return _normalised(super()._generate(messages, stop, run_manager, **kw))

        async def _agenerate(
            self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any
        ) -> Any:
            return _normalised(await super()._agenerate(messages, stop, run_manager, **kw))

        def _stream(
            self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any
        ) -> Any:
            for chunk in super()._stream(messages, stop, run_manager, **kw):
                yield _normalised(chunk)

        async def _astream(
            self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any
        ) -> Any:
            async for chunk in super()._astream(messages, stop, run_manager, **kw):
                yield _normalised(chunk)

    Integrated.__name__ = Integrated.__qualname__ = base.__name__
    return Integrated


class LangChainProvider:
    name = "langchain"
    example = "langchain:anthropic:claude-sonnet-4-5"
    calls_tools = True
    """Tools are bound with the integration's `bind_tools` (OpenAI's tool_choice translated)."""
    # Integrations spell parallel tool use differently (Anthropic: disable_parallel_tool_use,
    # Gemini: none), so `parallel_tool_calls` is not forwarded.
    parallel_tool_calls = False
    sampling_parameters: frozenset[str] = frozenset()
    """Per model: `model_sampling_parameters`."""

    def check_model(self, model: str) -> None:
        """Raises `ConfigurationError` for a bad form or a missing integration (no I/O)."""
        split(model)

    def check_credentials(self, model: str, settings: Settings) -> None:
        """The key variables of an integration asymroute knows: one must be set (no I/O)."""
        known = INTEGRATIONS.get(split(model)[0])
        if known and not any(map(os.environ.get, known.key_variables)):
            raise ConfigurationError(
                f"langchain:{model} needs a key: set {' or '.join(known.key_variables)} in the "
                "environment (or give the deployment its own key)"
            )

    def model_sampling_parameters(self, model: str) -> frozenset[str]:
        known = INTEGRATIONS.get(split(model)[0])
        return known.sampling_parameters if known else frozenset()

    def content_kinds(self, model: str) -> frozenset[str]:
        known = INTEGRATIONS.get(split(model)[0])
        return known.content_kinds if known else frozenset()

    def is_configured(self, settings: Settings) -> bool:
        # Chosen by name: a missing key is a ConfigurationError (`check_credentials` when the
        # router is built, `create` for a run's own context), never a silent local fallback.
        return True

    def endpoint(self, model: str, settings: Settings) -> str:
        integration, name = split(model)
        known = INTEGRATIONS.get(integration)
        urls = [os.environ.get(variable) for variable in known.url_variables] if known else []
        url = next(filter(None, urls), known.default_url if known else "default")
        return f"langchain {integration} {url} {name}"

    def create(self, model: str, settings: Settings, options: ModelOptions) -> BaseChatModel:
        integration, name = split(model)
        module_name, class_name, construct = registry()[integration]
        known = INTEGRATIONS.get(integration)
        if options.api_key is None:
            self.check_credentials(model, settings)
        base = getattr(importlib.import_module(module_name), class_name)
        kwargs: dict[str, Any] = {
            # LangChain's standard parameters, which every integration takes.
            "temperature": options.temperature,
            "max_tokens": options.max_output_tokens,
            "timeout": options.timeout_s,
            "max_retries": options.max_retries,
            "stop": list(options.stop) or None,
            **({"base_url": options.base_url} if options.base_url else {}),
            **({"api_key": options.api_key} if options.api_key is not None else {}),
            **(known.options(options) if known else {}),
        }
        try:
            chat_model = construct(integrated(base, integration), model=name, **kwargs)
        except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
            raise ConfigurationError(f"langchain:{model} could not be built: {exc}") from exc
        keys = [os.environ.get(variable) for variable in known.key_variables] if known else []
        if options.api_key is not None:
            keys.append(options.api_key.get_secret_value())
        secrets = (*known_secrets(settings), *filter(None, keys))
        return with_masked_errors(chat_model, secrets)
