"""Chat models whose errors leave them with secrets masked.

An upstream may quote the request's credentials back in an error body (some echo the
Authorization header). LangChain's tracer records a model's raw exception and error response
in the LLM run it sends to LangSmith, before asymroute sees the error; so the exception is
masked where it is raised, inside the model, and every observer (tracer, logs, state) sees
the masked text. The original response object is replaced by a masked stand-in that keeps
the status code and headers retry decisions need.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from functools import cache
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel
from pydantic import PrivateAttr

from asymroute.privacy.scrub import scrub_secrets

ModelT = TypeVar("ModelT", bound=BaseChatModel)


class MaskedResponse:
    """What an error's HTTP response exposes to its observers, secrets masked."""

    def __init__(self, response: Any, secrets: tuple[str, ...]) -> None:
        self.status_code = getattr(response, "status_code", None)
        headers = getattr(response, "headers", None) or {}
        self.headers = {str(k): scrub_secrets(str(v), secrets) for k, v in dict(headers).items()}
        try:
            text = str(response.text)
        except Exception:  # a streamed body that was never read
            text = ""
        self.text = scrub_secrets(text, secrets)

    def json(self) -> Any:
        return json.loads(self.text)


def _mask_value(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return scrub_secrets(value, secrets)
    if isinstance(value, dict | list):
        return json.loads(scrub_secrets(json.dumps(value, default=str), secrets))
    return value


def mask_exception(exc: BaseException, secrets: tuple[str, ...]) -> None:
    """Mask secrets in `exc` and the exceptions it wraps, in place."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current.args = tuple(_mask_value(arg, secrets) for arg in current.args)
        for name in ("message", "body", "error"):
            if isinstance(getattr(current, name, None), str | dict | list):
                # A read-only property is left alone: args already carry the message.
                with contextlib.suppress(AttributeError, TypeError):
                    setattr(current, name, _mask_value(getattr(current, name), secrets))
        if getattr(current, "response", None) is not None:
            with contextlib.suppress(AttributeError, TypeError):
                current.response = MaskedResponse(current.response, secrets)  # type: ignore[attr-defined]
        current = current.__cause__ or current.__context__


def with_masked_errors(model: ModelT, secrets: tuple[str, ...]) -> ModelT:
    """Mask these secrets (and anything key-shaped) in the errors `model` raises."""
    model.mask_secrets(secrets)  # type: ignore[attr-defined]
    return model


@cache
def masking_errors(base: type[ModelT]) -> type[ModelT]:
    """`base` with every generate/stream path masking the exceptions it raises."""

    class Masking(base):  # type: ignore[valid-type,misc]
        _masked_secrets: tuple[str, ...] = PrivateAttr(default=())

        def mask_secrets(self, secrets: tuple[str, ...]) -> Masking:
            self._masked_secrets = secrets
            return self

        def _generate(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super()._generate(*args, **kwargs)
            except Exception as exc:
                mask_exception(exc, self._masked_secrets)
                raise

        async def _agenerate(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return await super()._agenerate(*args, **kwargs)
            except Exception as exc:
                mask_exception(exc, self._masked_secrets)
                raise

        def _stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from super()._stream(*args, **kwargs)
            except Exception as exc:
                mask_exception(exc, self._masked_secrets)
                raise

        async def _astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            try:
                async for chunk in super()._astream(*args, **kwargs):
                    yield chunk
            except Exception as exc:
                mask_exception(exc, self._masked_secrets)
                raise

    # Traces and serialisation keep the original class name (ChatOpenAI, ChatOllama).
    Masking.__name__ = Masking.__qualname__ = base.__name__
    return Masking
