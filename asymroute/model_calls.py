"""Call one tier's model and account for it: answer or error, tokens, latency, cost."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import RunnableConfig

from asymroute.errors import AsymrouteError
from asymroute.planning import RunPlan, model_options
from asymroute.providers import ModelSpec, get_provider
from asymroute.records import Tier, UsageRecord
from asymroute.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelCall:
    message: AIMessage | None
    usage: UsageRecord

    @property
    def error(self) -> str | None:
        return self.usage["error"]

    @property
    def finish_reason(self) -> str | None:
        return finish_reason(self.message)


def finish_reason(message: AIMessage | None) -> str | None:
    if message is None:
        return None
    meta = message.response_metadata
    # OpenAI-compatible servers say finish_reason, Ollama says done_reason.
    reason = meta.get("finish_reason") or meta.get("done_reason")
    return str(reason) if reason else None


@lru_cache(maxsize=256)
def _warn_unpriced(model_id: str) -> None:
    """Once per model and process: the warning matters, a line per request would drown it."""
    logger.warning(
        "no price for %s; its cost is recorded as 0. Add it with ASYMROUTE_PRICES", model_id
    )


def describe_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _prepare(plan: RunPlan, tier: Tier, settings: Settings) -> tuple[ModelSpec, BaseChatModel]:
    spec = plan.spec(tier)
    model = plan.models.get(tier)
    if model is None:
        options = model_options(plan, tier, settings)
        model = plan.models.setdefault(
            tier, get_provider(spec).create(spec.model, settings, options)
        )
    return spec, model


def call_tier(
    plan: RunPlan,
    tier: Tier,
    messages: Sequence[BaseMessage],
    settings: Settings,
    config: RunnableConfig | None = None,
) -> ModelCall:
    """Never raises for a failed call (the error is recorded); configuration errors do raise."""
    spec, model = _prepare(plan, tier, settings)
    started = time.perf_counter()
    try:
        reply: Any = model.invoke(list(messages), config=config)
    except AsymrouteError:
        raise
    except Exception as exc:  # any failure of the endpoint is recorded and handled by routing
        return _account(plan, tier, spec, None, exc, started)
    return _account(plan, tier, spec, reply, None, started)


async def acall_tier(
    plan: RunPlan,
    tier: Tier,
    messages: Sequence[BaseMessage],
    settings: Settings,
    config: RunnableConfig | None = None,
) -> ModelCall:
    """`call_tier` without blocking the event loop: same accounting, same error handling."""
    spec, model = _prepare(plan, tier, settings)
    started = time.perf_counter()
    try:
        reply: Any = await model.ainvoke(list(messages), config=config)
    except AsymrouteError:
        raise
    except Exception as exc:  # any failure of the endpoint is recorded and handled by routing
        return _account(plan, tier, spec, None, exc, started)
    return _account(plan, tier, spec, reply, None, started)


def _account(
    plan: RunPlan,
    tier: Tier,
    spec: ModelSpec,
    reply: Any,
    exc: BaseException | None,
    started: float,
) -> ModelCall:
    latency = time.perf_counter() - started
    message: AIMessage | None = None
    error: str | None = None
    if exc is not None:
        error = describe_error(exc)
        logger.warning("%s call to %s failed: %s", tier, spec.id, error)
    else:
        message = reply if isinstance(reply, AIMessage) else AIMessage(content=str(reply.content))
    usage: Mapping[str, Any] = (message.usage_metadata if message is not None else None) or {}
    input_tokens = int(usage.get("input_tokens", 0))
    output_tokens = int(usage.get("output_tokens", 0))
    price = plan.price_table.price_for(spec.provider, spec.model)
    if price is None and error is None:
        _warn_unpriced(spec.id)
    record = UsageRecord(
        model=spec.id,
        tier=tier,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        latency_s=round(latency, 4),
        cost_usd=price.cost(input_tokens, output_tokens) if price else 0.0,
        priced=price is not None,
        error=error,
    )
    return ModelCall(message=message, usage=record)
