"""`ollama:MODEL` and `openai:MODEL`: LangChain's own embedding clients, for users who run them.

Endpoints and keys come from the settings (`ASYMROUTE_OLLAMA_BASE_URL`, `OPENAI_API_KEY`,
`OPENAI_BASE_URL`), as for chat models; `ASYMROUTE_EMBEDDINGS_BASE_URL` (and
`ASYMROUTE_EMBEDDINGS_API_KEY`) send `openai:` embeddings to another server than the frontier's.
A router file trained on one embedder's vectors only works with the same embedder; the
classifier checks the vector size on the first call.
"""

from __future__ import annotations

from langchain_core.embeddings import Embeddings
from pydantic import SecretStr

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


TAIL_CHARS = 1000
"""What a compatible server is sent of each text: its last characters, about the 256 word
pieces the default encoder reads (the request comes last in a prompt, and a longer text could
pass the server's context, which some servers refuse)."""


class TextTail(Embeddings):
    """An `Embeddings` that sends each text's last `TAIL_CHARS` characters to `inner`."""

    def __init__(self, inner: Embeddings, chars: int = TAIL_CHARS) -> None:
        self.inner, self.chars = inner, chars

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents([t[-self.chars :] for t in texts])

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text[-self.chars :])


def openai_embeddings(model: str) -> Embeddings:
    _need_model("openai", model)
    from langchain_openai import OpenAIEmbeddings

    settings = load_settings()
    base_url = settings.embeddings_base_url or settings.openai_base_url
    api_key = settings.embeddings_api_key or settings.openai_api_key
    if api_key is None and not base_url:
        raise ConfigurationError(
            f"openai:{model} needs OPENAI_API_KEY, or OPENAI_BASE_URL / "
            "ASYMROUTE_EMBEDDINGS_BASE_URL for a compatible server"
        )
    if base_url is None:  # OpenAI itself: LangChain splits a text past the model's window
        return OpenAIEmbeddings(model=model, api_key=api_key)
    # By default LangChain cuts texts with tiktoken (OpenAI's tokenizer, downloaded at first
    # use) and sends token ids, which another model reads as other words and some compatible
    # servers refuse. A compatible server gets the text's tail and tokenizes it itself.
    client = OpenAIEmbeddings(
        model=model,
        api_key=api_key or SecretStr("unused"),  # a local server may need none
        base_url=base_url,
        check_embedding_ctx_length=False,
    )
    return TextTail(client)
