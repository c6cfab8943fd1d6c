"""The `openai:` embedder against an OpenAI-compatible embeddings server on loopback (the
project's own, backed by the real MiniLM encoder): what a user with a multilingual encoder
behind such a server does (docs/routing.md, "Requests in other languages")."""

from __future__ import annotations

import json
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from asymroute.cli import main
from asymroute.embedders import get_embedder
from asymroute.embedders.remote import TAIL_CHARS
from bench.support.processes import free_port, running_server

ROOT = Path(__file__).resolve().parents[2]
SUBJECT = ROOT / "tests" / "data" / "routellm" / "mmlu_abstract_algebra.csv"
PAIR = ["--weak", "mistralai/Mixtral-8x7B-Instruct-v0.1", "--strong", "gpt-4-1106-preview"]


@pytest.fixture(scope="module")
def embeddings_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, str(ROOT / "tests" / "support" / "embeddings_server.py"),
               "--port", str(port)]  # fmt: skip
    log = tmp_path_factory.mktemp("embeddings") / "server.log"
    with running_server(command, f"http://127.0.0.1:{port}/v1/models", log):
        yield f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def compatible_server(embeddings_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    # The frontier's endpoint stays elsewhere: the embeddings get their own.
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-frontier")
    monkeypatch.setenv("ASYMROUTE_EMBEDDINGS_BASE_URL", embeddings_url)
    return embeddings_url


def sent_chars(url: str) -> list[int]:
    with urllib.request.urlopen(url.removesuffix("/v1") + "/stats") as response:
        return list(json.load(response)["sent_chars"])


def test_a_compatible_server_gets_text_and_answers_what_the_encoder_would(
    compatible_server: str,
) -> None:
    remote, local = get_embedder("openai:minilm"), get_embedder("minilm")
    long_prompt = "Background. " * 3000 + "Now prove that sqrt(2) is irrational."

    vectors = np.array(remote.embed_documents(["What is 2+3?", long_prompt]))

    # The server tokenized the text itself (it refuses token ids), and got only the tail.
    assert sent_chars(compatible_server)[-2:] == [len("What is 2+3?"), TAIL_CHARS]
    expected = np.array(local.embed_documents(["What is 2+3?", long_prompt[-TAIL_CHARS:]]))
    assert np.allclose(vectors, expected, atol=1e-5)


def test_train_and_eval_a_router_file_on_the_server_s_encoder(
    compatible_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    router = tmp_path / "router.json"

    argv = ["train", str(SUBJECT), *PAIR, "--embedder", "openai:minilm", "-o", str(router)]
    assert main(argv) == 0
    trained = json.loads(router.read_text())
    assert trained["embedder"] == "openai:minilm" and trained["dimension"] == 384
    assert trained["meta"]["rows"] == 100
    capsys.readouterr()

    assert main(["eval", str(SUBJECT), *PAIR, "--router", str(router),
                 "--embedder", "openai:minilm", "--json"]) == 0  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert next(r["name"] for r in report["routers"]) == f"embedding:{router}"
