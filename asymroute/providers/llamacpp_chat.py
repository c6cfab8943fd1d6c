"""An in-process llama.cpp chat model: local inference with no server to run."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from asymroute.errors import InvalidRequestError
from asymroute.providers import llamacpp_pool
from asymroute.requests import content_text

if TYPE_CHECKING:
    from langchain_core.callbacks import (
        AsyncCallbackManagerForLLMRun,
        CallbackManagerForLLMRun,
    )

ROLE_BY_MESSAGE_TYPE = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


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
    top_logprobs: int = 0
    """With logprobs: also record this many most likely tokens at each step."""
    top_p: float | None = None
    """None: llama.cpp's default (0.95)."""
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    logit_bias: dict[int, float] | None = None
    """Token id -> bias added to its logit (OpenAI's logit_bias)."""
    timeout_s: float | None = None
    """Wall-time limit of one call, waiting for the shared weights included."""
    instances: int = 1
    """Copies of the weights that generate at once (ASYMROUTE_LLAMACPP_INSTANCES)."""
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
        return self._complete(messages, stop, Deadline(self.timeout_s), kwargs)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Queued on the pool's own threads; a cancelled call stops at its next token (or
        never starts), so a client that leaves frees the model for the next one."""
        deadline = Deadline(self.timeout_s)
        pool = self._pool()
        future = pool.submit(self._complete, messages, stop, deadline, kwargs)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            deadline.cancel()
            raise

    def _pool(self) -> llamacpp_pool.LlamaPool:
        return llamacpp_pool.load_llama(self.model_path, self.n_ctx, self.n_threads, self.instances)

    def _complete(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        deadline: Deadline,
        options: dict[str, Any],
    ) -> ChatResult:
        pool = self._pool()
        chat = [
            {"role": ROLE_BY_MESSAGE_TYPE.get(m.type, "user"), "content": content_text(m)}
            for m in messages
        ]
        loaded = pool.borrow(deadline.remaining())
        try:
            deadline.start(int(loaded.llama.token_eos()))
            recorder = TokenLogprobRecorder(self.top_logprobs) if self.logprobs else None
            processors: list[Any] = [
                *([LogitBias(self.logit_bias, loaded.llama.n_vocab())] if self.logit_bias else []),
                deadline,
                *([recorder] if recorder is not None else []),
            ]
            completion: Any = loaded.llama.create_chat_completion(
                messages=chat,  # type: ignore[arg-type]
                max_tokens=options.get("max_tokens", self.max_tokens),
                temperature=options.get("temperature", self.temperature),
                stop=stop or self.stop_sequences or None,
                seed=self.seed,
                logits_processor=processors,  # type: ignore[arg-type]
                response_format=self.response_format,  # type: ignore[arg-type]
                presence_penalty=self.presence_penalty,
                frequency_penalty=self.frequency_penalty,
                **({"top_p": self.top_p} if self.top_p is not None else {}),  # type: ignore[arg-type]
            )
            text = completion["choices"][0]["message"].get("content") or ""
            logprobs = recorder.as_metadata(loaded.llama, text) if recorder is not None else None
        finally:
            pool.give_back(loaded)
        if deadline.cancelled:
            raise asyncio.CancelledError("the caller left; generation stopped")
        if deadline.expired:
            raise TimeoutError(f"embedded llama.cpp generation exceeded {self.timeout_s} s")
        return _chat_result(completion, self.model_name, logprobs)


def _chat_result(completion: Any, model_name: str, logprobs: dict[str, Any] | None) -> ChatResult:
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
            "model_name": model_name,
            "model_provider": "llamacpp",
        }
        | ({"logprobs": logprobs} if logprobs is not None else {}),
    )
    return ChatResult(generations=[ChatGeneration(message=message)])


class Deadline:
    """A logits processor that ends generation once the call's time is up or its caller left.

    llama.cpp's chat API has no timeout or stop callback; forcing end-of-sequence is the one
    way to stop it between tokens. The call then raises, so a cut-off answer is never used.
    The clock starts when the call is made: time queued for a free model counts.
    """

    def __init__(self, timeout_s: float | None) -> None:
        self._ends_at = None if timeout_s is None else time.monotonic() + timeout_s
        self._eos_token = 0
        self._cancel = threading.Event()
        self.expired = False

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Called from the event loop's thread; the generating thread stops at its next token."""
        self._cancel.set()

    def start(self, eos_token: int) -> None:
        self._eos_token = eos_token
        if self.cancelled:
            raise asyncio.CancelledError("the caller left before generation started")

    def remaining(self) -> float:
        """Seconds left, or -1 (no limit) in `Queue.get`'s convention."""
        return -1 if self._ends_at is None else max(0.0, self._ends_at - time.monotonic())

    def __call__(self, input_ids: Any, logits: Any) -> Any:
        if self._ends_at is not None and time.monotonic() >= self._ends_at:
            self.expired = True
        if self.expired or self.cancelled:
            logits[:] = -float("inf")
            logits[self._eos_token] = 0.0
        return logits


class LogitBias:
    """OpenAI's logit_bias as a logits processor.

    Not llama.cpp's own `logit_bias` argument: with a logits processor also given (the
    deadline), llama-cpp-python 0.3 replaces the processors with `list.extend`'s None, so
    neither the bias nor the deadline would apply."""

    def __init__(self, bias: dict[int, float], n_vocab: int) -> None:
        unknown = sorted(token for token in bias if not 0 <= token < n_vocab)
        if unknown:
            raise InvalidRequestError(
                f"logit_bias names token ids {unknown[:5]} outside the local model's "
                f"vocabulary of {n_vocab:,} tokens; use ids from 0 to {n_vocab - 1}"
            )
        self._ids = list(bias)
        self._bias = [float(value) for value in bias.values()]

    def __call__(self, input_ids: Any, logits: Any) -> Any:
        logits[self._ids] += self._bias
        return logits


class TokenLogprobRecorder:
    """A llama.cpp logits processor that records the log-prob of each token it samples.

    Asking llama.cpp itself for log-probs needs `logits_all=True`, which keeps n_ctx x vocab
    floats (about 800 MB for SmolLM2 at 4096 tokens). The processor sees each step's raw logits
    instead; the token sampled from them is the last input id at the next step. The final token
    (usually end-of-turn) is never fed back, so it is not counted, as in llama.cpp's own output.
    """

    def __init__(self, top: int = 0) -> None:
        self._previous: Any = None
        self._top = top
        self.token_ids: list[int] = []
        self.logprobs: list[float] = []
        self.alternatives: list[list[tuple[int, float]]] = []
        """Per step: the `top` most likely tokens and their log-probs, most likely first."""

    def __call__(self, input_ids: Any, logits: Any) -> Any:
        import numpy as np

        if self._previous is not None:
            self._sampled(int(input_ids[-1]))
        top = float(np.max(logits))
        self._previous = logits - (top + float(np.log(np.sum(np.exp(logits - top)))))
        return logits

    def _sampled(self, token: int) -> None:
        """Record `token`, drawn from the previous step's distribution."""
        import numpy as np

        previous = self._previous
        self.token_ids.append(token)
        self.logprobs.append(float(previous[token]))
        if self._top:
            best = np.argpartition(previous, -self._top)[-self._top :]
            ranked = sorted(best, key=lambda t: -float(previous[t]))
            self.alternatives.append([(int(t), float(previous[t])) for t in ranked])

    def _last_token(self, llama: Any, text: str) -> None:
        """An answer cut at max_tokens ends on a token that was never fed back: it is the
        text after the recorded tokens, when that is one token."""
        seen = b"".join(llama.detokenize([token]) for token in self.token_ids)
        rest = text.encode()[len(seen) :] if text.encode().startswith(seen) else b""
        tokens = llama.tokenize(rest, add_bos=False, special=False) if rest else []
        if len(tokens) == 1 and self._previous is not None:
            self._sampled(int(tokens[0]))

    def as_metadata(self, llama: Any, text: str = "") -> dict[str, Any]:
        """OpenAI's shape: {"content": [{token, logprob, bytes, top_logprobs}, ...]}."""
        self._last_token(llama, text)

        def entry(token: int, logprob: float) -> dict[str, Any]:
            raw = llama.detokenize([token])
            text = raw.decode("utf-8", errors="replace")
            return {"token": text, "logprob": logprob, "bytes": list(raw)}

        content = []
        for step, (token, logprob) in enumerate(zip(self.token_ids, self.logprobs, strict=True)):
            top = self.alternatives[step] if self._top else []
            content.append({**entry(token, logprob), "top_logprobs": [entry(*t) for t in top]})
        return {"content": content}
