"""An in-process llama.cpp chat model: local inference with no server to run."""

from __future__ import annotations

import atexit
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatResult

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
        with loaded.lock:
            completion: Any = loaded.llama.create_chat_completion(
                messages=chat,  # type: ignore[arg-type]
                max_tokens=kwargs.get("max_tokens", self.max_tokens),
                temperature=kwargs.get("temperature", self.temperature),
                stop=stop,
                seed=self.seed,
            )
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
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])
