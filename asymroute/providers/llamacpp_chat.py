"""An in-process llama.cpp chat model: local inference with no server to run."""

from __future__ import annotations

import atexit
import threading
import time
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from asymroute.errors import ConfigurationError
from asymroute.requests import content_text

if TYPE_CHECKING:
    from langchain_core.callbacks import CallbackManagerForLLMRun

ROLE_BY_MESSAGE_TYPE = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


class LoadedLlama:
    """A loaded GGUF model; llama.cpp contexts are not thread-safe, hence the lock."""

    def __init__(self, path: str, n_ctx: int, n_threads: int | None) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise ConfigurationError(
                "the llamacpp provider needs llama-cpp-python: "
                "CMAKE_ARGS=\"-DGGML_NATIVE=OFF\" pip install 'asymroute[local]'"
            ) from exc
        self.llama = Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, verbose=False)
        self.lock = threading.Lock()


# Loading weights takes a second and ~100 MB per copy: keep the few recently used ones.
@lru_cache(maxsize=4)
def load_llama(path: str, n_ctx: int, n_threads: int | None) -> LoadedLlama:
    return LoadedLlama(path, n_ctx, n_threads)


# Free models before interpreter teardown: llama.cpp's finalizer fails noisily after it.
atexit.register(load_llama.cache_clear)


class ChatLlamaCppEmbedded(BaseChatModel):
    """Chat completions from a GGUF file, using the chat template stored in the file."""

    model_path: str
    model_name: str
    n_ctx: int = 4096
    n_threads: int | None = None
    max_tokens: int = 512
    temperature: float = 0.0
    seed: int = 0
    stop_sequences: list[str] = Field(default_factory=list)
    logprobs: bool = False
    """Record each generated token's log-prob (response_metadata["logprobs"], OpenAI shape)."""
    timeout_s: float | None = None
    """Wall-time limit of one call, waiting for the shared weights included."""
    response_format: dict[str, Any] | None = None
    """JSON mode in llama.cpp's form ({"type": "json_object", "schema": {...}}): generation is
    constrained by a grammar built from the schema, so the answer is JSON matching it."""

    @property
    def _llm_type(self) -> str:
        return "llamacpp-embedded"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "max_tokens": self.max_tokens}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        loaded = load_llama(self.model_path, self.n_ctx, self.n_threads)
        chat = [
            {"role": ROLE_BY_MESSAGE_TYPE.get(m.type, "user"), "content": content_text(m)}
            for m in messages
        ]
        recorder = TokenLogprobRecorder() if self.logprobs else None
        deadline = Deadline(self.timeout_s, int(loaded.llama.token_eos()))
        processors: list[Any] = [deadline, *([recorder] if recorder is not None else [])]
        if not loaded.lock.acquire(timeout=deadline.remaining()):
            raise TimeoutError(f"embedded llama.cpp: no free model within {self.timeout_s} s")
        try:
            completion: Any = loaded.llama.create_chat_completion(
                messages=chat,  # type: ignore[arg-type]
                max_tokens=kwargs.get("max_tokens", self.max_tokens),
                temperature=kwargs.get("temperature", self.temperature),
                stop=stop or self.stop_sequences or None,
                seed=self.seed,
                logits_processor=processors,  # type: ignore[arg-type]
                response_format=self.response_format,  # type: ignore[arg-type]
            )
        finally:
            loaded.lock.release()
        if deadline.expired:
            raise TimeoutError(f"embedded llama.cpp generation exceeded {self.timeout_s} s")
        choice = completion["choices"][0]
        usage = completion.get("usage") or {}
        usage_metadata = UsageMetadata(
            input_tokens=int(usage.get("prompt_tokens", 0)),
            output_tokens=int(usage.get("completion_tokens", 0)),
            total_tokens=int(usage.get("total_tokens", 0)),
        )
        message = AIMessage(
            content=choice["message"].get("content") or "",
            usage_metadata=usage_metadata,
            response_metadata={
                "finish_reason": choice.get("finish_reason"),
                "model_name": self.model_name,
                "model_provider": "llamacpp",
            }
            | ({"logprobs": recorder.as_metadata(loaded.llama)} if recorder is not None else {}),
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


class Deadline:
    """A logits processor that ends generation once the call's time is up.

    llama.cpp's chat API has no timeout or stop callback; forcing end-of-sequence is the one
    way to stop it between tokens. The call then raises, so a cut-off answer is never used.
    """

    def __init__(self, timeout_s: float | None, eos_token: int) -> None:
        self._ends_at = None if timeout_s is None else time.monotonic() + timeout_s
        self._eos_token = eos_token
        self.expired = False

    def remaining(self) -> float:
        """Seconds left, or -1 (no limit) in `Lock.acquire`'s convention."""
        return -1 if self._ends_at is None else max(0.0, self._ends_at - time.monotonic())

    def __call__(self, input_ids: Any, logits: Any) -> Any:
        if self._ends_at is not None and time.monotonic() >= self._ends_at:
            self.expired = True
            logits[:] = -float("inf")
            logits[self._eos_token] = 0.0
        return logits


class TokenLogprobRecorder:
    """A llama.cpp logits processor that records the log-prob of each token it samples.

    Asking llama.cpp itself for log-probs needs `logits_all=True`, which keeps n_ctx x vocab
    floats (about 800 MB for SmolLM2 at 4096 tokens). The processor sees each step's raw logits
    instead; the token sampled from them is the last input id at the next step. The final token
    (usually end-of-turn) is never fed back, so it is not counted, as in llama.cpp's own output.
    """

    def __init__(self) -> None:
        self._previous: Any = None
        self.token_ids: list[int] = []
        self.logprobs: list[float] = []

    def __call__(self, input_ids: Any, logits: Any) -> Any:
        import numpy as np

        if self._previous is not None:
            token = int(input_ids[-1])
            self.token_ids.append(token)
            self.logprobs.append(float(self._previous[token]))
        top = float(np.max(logits))
        self._previous = logits - (top + float(np.log(np.sum(np.exp(logits - top)))))
        return logits

    def as_metadata(self, llama: Any) -> dict[str, Any]:
        content = []
        for token, logprob in zip(self.token_ids, self.logprobs, strict=True):
            text = llama.detokenize([token]).decode("utf-8", errors="replace")
            content.append({"token": text, "logprob": logprob})
        return {"content": content}
