"""`ollama:MODEL` and `openai:MODEL`: LangChain's own embedding clients, for users who run them.

Endpoints and keys come from the settings (`ASYMROUTE_OLLAMA_BASE_URL`, `OPENAI_API_KEY`,
`OPENAI_BASE_URL`), as for chat models. A router file trained on one embedder's vectors only
works with the same embedder; the classifier checks the vector size on the first call.
"""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from asymroute.errors import ConfigurationError
from asymroute.settings import load_settings


def _need_model(kind: str, model: str) -> None:
    if not model:
        raise ConfigurationError(
            f"{kind} embedder needs a model name: {kind}:MODEL (e.g. "
            f"{'ollama:nomic-embed-text' if kind == 'ollama' else 'openai:text-embedding-3-small'})"
        )


def ollama_embeddings(model: str) -> Embeddings:
    _need_model("ollama", model)
    from langchain_ollama import OllamaEmbeddings

    return OllamaEmbeddings(model=model, base_url=load_settings().ollama_base_url)


def openai_embeddings(model: str) -> Embeddings:
    _need_model("openai", model)
    from langchain_openai import OpenAIEmbeddings

    settings = load_settings()
    if not settings.frontier_openai_configured:
        raise ConfigurationError(
            f"openai:{model} needs OPENAI_API_KEY (or OPENAI_BASE_URL for a compatible server)"
        )
    return OpenAIEmbeddings(
        model=model, api_key=settings.openai_api_key, base_url=settings.openai_base_url
    )
