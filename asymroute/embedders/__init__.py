"""Embedders by name: a prompt in, a sentence vector out, behind LangChain's `Embeddings`.

    minilm                         all-MiniLM-L6-v2 (int8 ONNX) in-process; the default, no server
    ollama:nomic-embed-text        `langchain_ollama.OllamaEmbeddings` at ASYMROUTE_OLLAMA_BASE_URL
    openai:text-embedding-3-small  `langchain_openai.OpenAIEmbeddings` (OPENAI_API_KEY/BASE_URL)

Add one by writing a file with a factory `(model: str) -> Embeddings` and registering it in
`EMBEDDERS` (`"kind": "module:function"`); modules are imported only when their kind is chosen.
Anything that cannot work fails here, at build time, with `ConfigurationError` naming the
setting and the fix; the model itself (weights, a session) loads lazily on first use.

Layer: the floor; embedders import `errors`, `settings` and each other, nothing above.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from langchain_core.embeddings import Embeddings

from asymroute.errors import ConfigurationError

DEFAULT_EMBEDDER = "minilm"
EMBEDDERS: dict[str, str] = {
    "minilm": "asymroute.embedders.minilm:minilm_embeddings",
    "ollama": "asymroute.embedders.remote:ollama_embeddings",
    "openai": "asymroute.embedders.remote:openai_embeddings",
}
"""Kinds; `minilm` takes no model name, the others need `kind:MODEL`."""


def get_embedder(name: str, *, setting: str = "embedder") -> Embeddings:
    """The embedder `name` (`minilm`, `ollama:MODEL`, `openai:MODEL`).

    `setting` names where the value came from (a CLI flag, a model file) in error messages.
    """
    kind, _, model = str(name).partition(":")
    try:
        target = EMBEDDERS[kind]
    except KeyError:
        raise ConfigurationError(
            f"{setting}: unknown embedder {name!r}; choose one of: "
            + ", ".join(k if k == DEFAULT_EMBEDDER else f"{k}:MODEL" for k in sorted(EMBEDDERS))
        ) from None
    module_name, _, function = target.partition(":")
    factory: Callable[[str], Embeddings] = getattr(importlib.import_module(module_name), function)
    try:
        return factory(model)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{setting}: {exc}") from None


def embedding_dimension(embeddings: Embeddings) -> int | None:
    """The vector size an embedder declares without running (None: known after a call)."""
    size = getattr(embeddings, "dimension", None)
    return size if isinstance(size, int) else None


__all__ = ["DEFAULT_EMBEDDER", "EMBEDDERS", "Embeddings", "embedding_dimension", "get_embedder"]
