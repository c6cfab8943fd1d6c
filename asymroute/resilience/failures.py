"""Which model-call failures are worth retrying, and how long the endpoint asked us to wait.

The clients raise unrelated exception types for one kind of failure (openai wraps httpx2,
ollama raises its own `ResponseError`, langchain adds `ValueError`s), so failures are
recognised by status code, response headers and exception class names, not by `isinstance`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

# 408 timeout, 409 conflict (OpenAI's lock contention), 425 too early, 429 rate limited, 5xx.
TRANSIENT_STATUSES = frozenset({408, 409, 425, 429})
# Transport failures: refused or reset connections, timeouts, a peer that hung up mid-reply.
TRANSIENT_CLASS_NAMES = frozenset(
    {
        "APIConnectionError",
        "APITimeoutError",
        "TransportError",
        "TimeoutException",
        "NetworkError",
        "ProtocolError",
        "RemoteProtocolError",
        "ConnectError",
        "ReadError",
        "ReadTimeout",
        "ConnectTimeout",
        "WriteTimeout",
        "PoolTimeout",
        "ConnectionError",
        "TimeoutError",
        "IncompleteRead",
    }
)

# A reply that arrived but cannot be read: the endpoint's fault, though not worth a retry.
GARBLED_REPLY_CLASS_NAMES = frozenset(
    {"JSONDecodeError", "APIResponseValidationError", "EmptyCompletion"}
)


# How llama.cpp (embedded and server) and OpenAI-compatible APIs say a prompt does not fit.
CONTEXT_WINDOW_OVERFLOW = re.compile(
    r"exceeds? (the )?context window|context_length_exceeded|maximum context length"
    r"|exceeds the available context size",
    re.IGNORECASE,
)


def overflows_context_window(error: str) -> bool:
    """Whether a recorded call error says the request was too long for the model's window."""
    return CONTEXT_WINDOW_OVERFLOW.search(error) is not None


@dataclass(frozen=True)
class Failure:
    """What a failed attempt says about the next one."""

    transient: bool
    status: int | None = None
    retry_after_s: float | None = None
    garbled_reply: bool = False


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps, outermost first, without looping on cycles."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if status is None:
        status = getattr(getattr(exc, "response", None), "status_code", None)
    return status if isinstance(status, int) and status > 0 else None


def _headers(exc: BaseException) -> Any:
    return getattr(getattr(exc, "response", None), "headers", None)


def parse_retry_after(headers: Any, now: datetime | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms`, or `Retry-After` as seconds or an HTTP date."""
    if headers is None:
        return None
    try:
        millis = headers.get("retry-after-ms")
        if millis is not None:
            value = float(millis) / 1000
            return value if math.isfinite(value) and value >= 0 else None
        raw = headers.get("retry-after")
    except (AttributeError, TypeError, ValueError):
        return None
    if raw is None:
        return None
    text = str(raw).strip()
    try:
        value = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        value = (when - (now or datetime.now(UTC))).total_seconds()
        return max(0.0, value)
    return value if math.isfinite(value) and value >= 0 else None


def classify_failure(exc: BaseException) -> Failure:
    """Transient: 408/409/425/429/5xx and transport errors; anything else fails at once."""
    for cause in _causes(exc):
        status = _status(cause)
        if status is not None:
            transient = status in TRANSIENT_STATUSES or status >= 500
            return Failure(transient, status, parse_retry_after(_headers(cause)))
    for cause in _causes(exc):
        names = {cls.__name__ for cls in type(cause).__mro__}
        if names & TRANSIENT_CLASS_NAMES:
            return Failure(True)
    garbled = any(type(cause).__name__ in GARBLED_REPLY_CLASS_NAMES for cause in _causes(exc))
    return Failure(False, garbled_reply=garbled)
