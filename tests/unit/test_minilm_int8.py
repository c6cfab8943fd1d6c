"""The MiniLM weights converted to integer arithmetic: cached once, checked, never fatal."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from asymroute.embedders import get_embedder, minilm_int8
from asymroute.embedders import minilm as minilm_module
from asymroute.errors import ConfigurationError

SOURCE_SHA = "ab" * 32


@pytest.fixture
def conversions(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Replaces the (3 s) real conversion by one that writes known bytes; lists its calls."""
    calls: list[Path] = []

    def fake(source: Path, folder: Path) -> None:
        calls.append(folder)
        (folder / minilm_int8.MODEL_NAME).write_bytes(b"converted " + source.read_bytes())

    monkeypatch.setattr(minilm_int8, "_fold_and_quantize", fake)
    return calls


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "source.onnx"
    path.write_bytes(b"weights")
    return path


def test_converts_once_then_reuses_the_cached_copy(conversions, source, tmp_path):
    first = minilm_int8.integer_model(source, SOURCE_SHA, tmp_path / "cache")
    second = minilm_int8.integer_model(source, SOURCE_SHA, tmp_path / "cache")

    assert first == second and isinstance(first, str)
    assert Path(first).read_bytes() == b"converted weights"
    assert len(conversions) == 1
    assert SOURCE_SHA[:16] in first  # another source file gets its own copy
    # No scratch folders are left behind.
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [Path(first).parent.name]


def test_a_damaged_copy_is_converted_again(conversions, source, tmp_path):
    path = Path(str(minilm_int8.integer_model(source, SOURCE_SHA, tmp_path)))
    path.write_bytes(b"truncated")

    again = minilm_int8.integer_model(source, SOURCE_SHA, tmp_path)

    assert len(conversions) == 2
    assert Path(str(again)).read_bytes() == b"converted weights"


def test_an_unwritable_cache_gives_the_model_in_memory(conversions, source, tmp_path, caplog):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")

    with caplog.at_level(logging.WARNING):
        model = minilm_int8.integer_model(source, SOURCE_SHA, blocked / "cache")

    assert model == b"converted weights"
    assert "not writable" in caplog.text and str(blocked / "cache") in caplog.text


def test_processes_converting_at_once_keep_one_intact_copy(conversions, source, tmp_path):
    results: list[str | bytes] = []

    def convert() -> None:
        results.append(minilm_int8.integer_model(source, SOURCE_SHA, tmp_path))

    threads = [threading.Thread(target=convert) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(results)) == 1
    assert Path(str(results[0])).read_bytes() == b"converted weights"
    assert len(list(tmp_path.iterdir())) == 2  # the source and one cached folder


def test_scratch_folders_of_processes_that_died_converting_are_removed(
    conversions, source, tmp_path
):
    root = tmp_path / "cache"
    abandoned = root / (minilm_int8.SCRATCH_PREFIX + "dead")
    fresh = root / (minilm_int8.SCRATCH_PREFIX + "busy")  # another process, converting now
    for scratch in (abandoned, fresh):
        scratch.mkdir(parents=True)
        (scratch / minilm_int8.MODEL_NAME).write_bytes(b"half written")
    old = time.time() - minilm_int8.ABANDONED_AFTER_S - 60
    os.utime(abandoned, (old, old))

    minilm_int8.integer_model(source, SOURCE_SHA, root)

    assert not abandoned.exists() and fresh.exists()


def test_the_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ASYMROUTE_CACHE_DIR", str(tmp_path / "mine"))
    assert minilm_int8.cache_root() == tmp_path / "mine"
    monkeypatch.delenv("ASYMROUTE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert minilm_int8.cache_root() == tmp_path / "xdg" / "asymroute"


def test_a_failed_conversion_runs_the_file_as_is(monkeypatch, caplog):
    def broken(source: Path, sha: str) -> str:
        raise RuntimeError("no space left on device")

    monkeypatch.setattr(minilm_module, "integer_model", broken)
    embedder = minilm_module.MiniLMEmbeddings(
        minilm_module._packaged_model(), minilm_module.MODEL_SHA256, integer=True
    )
    with caplog.at_level(logging.WARNING):
        vector = embedder.embed_query("What is 2+3?")

    assert embedder.runs == "as is" and len(vector) == 384
    assert "no space left on device" in caplog.text and "as is" in caplog.text


def test_the_default_runs_the_converted_model_close_to_the_float_path():
    texts = ["What is 2+3?", "Write a haiku about autumn.", "Prove Fermat's little theorem. " * 40]
    converted = get_embedder("minilm")
    as_is = minilm_module.MiniLMEmbeddings(
        minilm_module._packaged_model(), minilm_module.MODEL_SHA256, integer=False
    )

    fast, exact = converted.embed_matrix(texts), as_is.embed_matrix(texts)

    assert converted.runs == "integer" and as_is.runs == "as is"
    cosines = np.sum(fast * exact, axis=1)
    assert np.all(cosines > 0.98), cosines
    assert not np.allclose(fast, exact)  # it is the converted model that ran


def test_a_first_conversion_does_not_hold_up_start_up(monkeypatch, tmp_path):
    """`load_soon` (the classifier's warm-up at a server's start) returns at once while the
    weights convert in the background; the first embedding waits for them."""
    release = threading.Event()

    def slow_copy(source: Path, folder: Path) -> None:  # a valid model: the source itself
        assert release.wait(10)
        (folder / minilm_int8.MODEL_NAME).write_bytes(source.read_bytes())

    monkeypatch.setattr(minilm_int8, "_fold_and_quantize", slow_copy)
    monkeypatch.setenv("ASYMROUTE_CACHE_DIR", str(tmp_path))
    embedder = minilm_module.minilm_embeddings()

    embedder.load_soon()  # would block for good if it converted in this thread
    assert embedder.runs == "not loaded"
    release.set()
    vector = embedder.embed_query("What is 2+3?")

    assert embedder.runs == "integer" and len(vector) == 384
    assert minilm_int8.cached_model(minilm_module.MODEL_SHA256, tmp_path) is not None
    # Once converted, the next process loads at once.
    again = minilm_module.minilm_embeddings()
    again.load_soon()
    assert again.runs == "integer"


def test_damaged_weights_are_refused_at_start_up_not_in_the_background(tmp_path, monkeypatch):
    monkeypatch.setenv("ASYMROUTE_CACHE_DIR", str(tmp_path / "cache"))
    embedder = minilm_module.MiniLMEmbeddings(
        minilm_module._packaged_model(), "0" * 64, integer=True
    )
    with pytest.raises(ConfigurationError, match="does not match its pinned sha256"):
        embedder.load_soon()
