"""Loaded llama.cpp models and the threads that run them, shared by every call in a process.

A llama.cpp context is not thread-safe: one instance generates one answer at a time. A pool
holds up to `instances` copies of the same weights (each ~100-200 MB for SmolLM2) and one worker
thread per copy. Async callers queue on the pool's own executor, not on the event loop's
default one: a queue of local generations then holds no thread that health checks, frontier
calls or file reads need, and a queued call that is cancelled never starts.
"""

from __future__ import annotations

import atexit
import queue
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from typing import Any

from asymroute.errors import ConfigurationError


class LoadedLlama:
    """One loaded copy of a GGUF model."""

    def __init__(self, path: str, n_ctx: int, n_threads: int | None) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise ConfigurationError(
                "the llamacpp provider needs llama-cpp-python: "
                "CMAKE_ARGS=\"-DGGML_NATIVE=OFF\" pip install 'asymroute[local]'"
            ) from exc
        self.llama = Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, verbose=False)


class LlamaPool:
    """Up to `instances` copies of one model, loaded on first need, lent one call at a time."""

    def __init__(self, path: str, n_ctx: int, n_threads: int | None, instances: int) -> None:
        self.path, self.n_ctx, self.n_threads, self.instances = path, n_ctx, n_threads, instances
        self.executor = ThreadPoolExecutor(max_workers=instances, thread_name_prefix="llamacpp")
        self._idle: queue.LifoQueue[LoadedLlama] = queue.LifoQueue()
        self._loaded = 0
        self._loading = threading.Lock()

    def submit(self, work: Any, *args: Any) -> Future[Any]:
        """Run `work(*args)` on one of the pool's threads (for async callers)."""
        return self.executor.submit(work, *args)

    def borrow(self, timeout_s: float) -> LoadedLlama:
        """An idle copy, loading another while fewer than `instances` exist.

        `timeout_s` < 0 waits without limit; raises TimeoutError when none frees in time.
        """
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._loading:
            if self._loaded < self.instances:
                loaded = LoadedLlama(self.path, self.n_ctx, self.n_threads)
                self._loaded += 1
                return loaded
        try:
            return self._idle.get(timeout=None if timeout_s < 0 else timeout_s)
        except queue.Empty:
            raise TimeoutError(
                f"embedded llama.cpp: no free model within {timeout_s:.1f} s "
                f"({self.instances} instance(s) busy; raise ASYMROUTE_LLAMACPP_INSTANCES)"
            ) from None

    def give_back(self, loaded: LoadedLlama) -> None:
        self._idle.put(loaded)


# Loading weights takes a second and ~100 MB per copy: keep the few recently used pools.
@lru_cache(maxsize=4)
def load_llama(path: str, n_ctx: int, n_threads: int | None, instances: int = 1) -> LlamaPool:
    return LlamaPool(path, n_ctx, n_threads, instances)


# Free models before interpreter teardown: llama.cpp's finalizer fails noisily after it.
atexit.register(load_llama.cache_clear)
