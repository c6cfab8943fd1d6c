"""Which model a self-hosted OpenAI-compatible server really serves, from its `/v1/models`.

With `OPENAI_BASE_URL` set, the configured name (by default `gpt-4o-mini`) may not be what
answers: llama.cpp's servers answer any name with the one model they loaded; vLLM refuses a
name it does not serve. Labelling and pricing by the configured name would then be false, so
the server is asked once which models it serves:
- the configured name is among them (LiteLLM, vLLM with the right name): it stands;
- the server serves exactly one other model: that model answers, so it is named (and sent)
  instead, and priced by its own name (unknown to the price table: $0, flagged price_unknown);
- several others: the configured name stands (the server decides, and says if it is wrong).
The answer is cached per base URL and name for the process. A failed lookup keeps the
configured name and is asked again after `RETRY_AFTER_S` (not on every call, so a server that
is down costs each request no extra wait). api.openai.com is never asked.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from pydantic import SecretStr

    from asymroute.settings import Settings

logger = logging.getLogger(__name__)

LOOKUP_TIMEOUT_S = 5.0
"""A listing is tiny; a server that cannot list its models in this long is failing anyway."""

RETRY_AFTER_S = 30.0

_served: dict[tuple[str, str], str] = {}
_failed_at: dict[str, float] = {}


def served_name(requested: str, served: Sequence[str]) -> str:
    """The model that answers a request for `requested` on a server serving `served`."""
    if requested in served or len(served) != 1:
        return requested
    return served[0]


def _lookup(
    settings: Settings, base_url: str, api_key: SecretStr | None
) -> tuple[str, dict[str, str], httpx.Timeout]:
    url = f"{base_url.rstrip('/')}/models"
    key = api_key or settings.openai_api_key
    headers = {"Authorization": f"Bearer {key.get_secret_value()}"} if key else {}
    timeout = httpx.Timeout(LOOKUP_TIMEOUT_S, connect=settings.connect_timeout_s)
    return url, headers, timeout


def _model_ids(response: httpx.Response) -> list[str]:
    response.raise_for_status()
    payload: Any = response.json()
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise ValueError("the reply has no 'data' list of models")
    return [str(item["id"]) for item in data if isinstance(item, dict) and "id" in item]


def _remember(base_url: str, model: str, ids: list[str]) -> str:
    name = served_name(model, ids)
    if name != model:
        logger.warning(
            "%s serves %s, not %s: answers are labelled and priced as %s (set frontier_model "
            "to openai:%s to silence this)",
            base_url, name, model, name, name,
        )  # fmt: skip
    _served[(base_url, model)] = name
    return name


def _failed(base_url: str, exc: Exception) -> None:
    _failed_at[base_url] = time.monotonic()
    logger.warning(
        "could not list the models of %s (%s); answers keep the configured model name",
        base_url, exc,
    )  # fmt: skip


def _known(model: str, base_url: str | None) -> tuple[bool, str | None]:
    """(whether the server need not be asked now, the served name if known)."""
    if not base_url:
        return True, None
    cached = _served.get((base_url, model))
    if cached is not None:
        return True, cached
    failed = _failed_at.get(base_url)
    return failed is not None and time.monotonic() - failed < RETRY_AFTER_S, None


def served_model(
    model: str,
    settings: Settings,
    base_url: str | None = None,
    api_key: SecretStr | None = None,
) -> str | None:
    """The served name (blocking); None: no self-hosted server, or it could not be asked.
    `base_url` / `api_key`: a deployment's own (the model list), else the settings'."""
    base_url = base_url or settings.openai_base_url
    known, name = _known(model, base_url)
    if known or not base_url:
        return name
    url, headers, timeout = _lookup(settings, base_url, api_key)
    try:
        with httpx.Client(timeout=timeout) as client:
            return _remember(base_url, model, _model_ids(client.get(url, headers=headers)))
    except (httpx.HTTPError, ValueError) as exc:
        _failed(base_url, exc)
        return None


async def aserved_model(
    model: str,
    settings: Settings,
    base_url: str | None = None,
    api_key: SecretStr | None = None,
) -> str | None:
    """`served_model` without blocking the event loop."""
    base_url = base_url or settings.openai_base_url
    known, name = _known(model, base_url)
    if known or not base_url:
        return name
    url, headers, timeout = _lookup(settings, base_url, api_key)
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.get(url, headers=headers)
        return _remember(base_url, model, _model_ids(response))
    except (httpx.HTTPError, ValueError) as exc:
        _failed(base_url, exc)
        return None
