"""What an Ollama model can do, from its `/api/show` `capabilities` (Ollama 0.6.4+):
`["completion", "tools", "vision", ...]`.

A model without "tools" makes Ollama answer 400 "does not support tools" to any request with
tools; knowing that up front, the router starts such a request on the frontier (flag
`local_cannot_call_tools`) instead of sending it and escalating on the 400. The server is asked
once per base URL and model (a model list deployment's own `base_url`, else `OLLAMA_BASE_URL`),
only for requests with tools, and the answer is cached for the process. A failed lookup, or a
reply without `capabilities` (an older Ollama), is "unknown": the model is sent the tools as
before, and the server is asked again after `RETRY_AFTER_S` (not on every call, so a server
that is down costs each request no extra wait).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from asymroute.settings import Settings

logger = logging.getLogger(__name__)

LOOKUP_TIMEOUT_S = 5.0
"""`/api/show` reads the model's manifest, not its weights: fast even for a model not loaded."""
RETRY_AFTER_S = 30.0
TOOLS = "tools"

_capabilities: dict[tuple[str, str], frozenset[str]] = {}
_failed_at: dict[tuple[str, str], float] = {}


def _key(model: str, settings: Settings, base_url: str | None = None) -> tuple[str, str]:
    """The server asked: the deployment's own base URL, else the configured one."""
    return str(base_url or settings.ollama_base_url or "").rstrip("/"), model


def known_capabilities(
    model: str, settings: Settings, base_url: str | None = None
) -> frozenset[str] | None:
    """The model's capabilities if already learned (no I/O); None: unknown."""
    return _capabilities.get(_key(model, settings, base_url))


def calls_tools(model: str, settings: Settings, base_url: str | None = None) -> bool:
    """False only when the server said the model has no "tools" capability (no I/O)."""
    known = known_capabilities(model, settings, base_url)
    return known is None or TOOLS in known


def _must_ask(key: tuple[str, str]) -> bool:
    if not key[0] or key in _capabilities:
        return False
    failed = _failed_at.get(key)
    return failed is None or time.monotonic() - failed >= RETRY_AFTER_S


def _parse(key: tuple[str, str], response: httpx.Response) -> None:
    response.raise_for_status()
    payload: Any = response.json()
    listed = payload.get("capabilities") if isinstance(payload, dict) else None
    if not isinstance(listed, list):
        raise ValueError("the reply has no 'capabilities' list (Ollama older than 0.6.4?)")
    _capabilities[key] = frozenset(str(item) for item in listed)


def _failed(key: tuple[str, str], exc: Exception) -> None:
    _failed_at[key] = time.monotonic()
    logger.warning(
        "could not learn what the Ollama model %s at %s can do (%s); requests with tools are "
        "sent to it, and fall back to the frontier if it refuses them",
        key[1], key[0], exc,
    )  # fmt: skip


def _request(key: tuple[str, str], settings: Settings) -> tuple[str, dict[str, str], httpx.Timeout]:
    timeout = httpx.Timeout(LOOKUP_TIMEOUT_S, connect=settings.connect_timeout_s)
    return f"{key[0]}/api/show", {"model": key[1]}, timeout


def learn_capabilities(model: str, settings: Settings, base_url: str | None = None) -> None:
    """Ask the server once (blocking); for runs under `invoke`."""
    key = _key(model, settings, base_url)
    if not _must_ask(key):
        return
    url, body, timeout = _request(key, settings)
    try:
        with httpx.Client(timeout=timeout) as client:
            _parse(key, client.post(url, json=body))
    except (httpx.HTTPError, ValueError) as exc:
        _failed(key, exc)


async def alearn_capabilities(model: str, settings: Settings, base_url: str | None = None) -> None:
    """`learn_capabilities` without blocking the event loop."""
    key = _key(model, settings, base_url)
    if not _must_ask(key):
        return
    url, body, timeout = _request(key, settings)
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.post(url, json=body)
        _parse(key, response)
    except (httpx.HTTPError, ValueError) as exc:
        _failed(key, exc)
