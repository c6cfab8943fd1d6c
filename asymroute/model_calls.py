"""Call one tier's model and account for it: answer or error, tokens, latency, cost."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig

from asymroute.budget import estimated_usage
from asymroute.effects import ModelCall
from asymroute.effects import finish_reason as finish_reason  # re-exported for callers
from asymroute.errors import AsymrouteError
from asymroute.json_mode import unfenced_reply
from asymroute.planning import RouterSetup, RunPlan, model_options
from asymroute.privacy.policy import outgoing, restore_answer
from asymroute.privacy.scrub import known_secrets, scrub_secrets
from asymroute.providers import ModelSpec, calls_tools, endpoint_of, get_provider
from asymroute.records import Tier, UsageRecord
from asymroute.requests import content_text
from asymroute.resilience import retry_policy
from asymroute.resilience.attempts import AttemptLog
from asymroute.settings import Settings
from asymroute.tool_calls import bind_run_tools

logger = logging.getLogger(__name__)


@lru_cache(maxsize=256)
def _warn_unpriced(model_id: str) -> None:
    """Once per model and process: the warning matters, a line per request would drown it."""
    logger.warning(
        "no price for %s; its cost is recorded as 0. Add it with ASYMROUTE_PRICES", model_id
    )


def describe_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _with_run_tools(
    plan: RunPlan, tier: Tier, spec: ModelSpec, model: BaseChatModel, settings: Settings
) -> Runnable[Any, Any]:
    """The model with the run's tools bound, if it has any and can call them
    (`asymroute.tool_calls`, `providers.calls_tools`); the local tier's call is made whole."""
    context, provider = plan.context, get_provider(spec)
    return bind_run_tools(
        model,
        context.tools,
        context.tool_choice,
        context.parallel_tool_calls,
        calls_tools=calls_tools(spec, settings),
        parallel_supported=getattr(provider, "parallel_tool_calls", False),
        whole=tier == "local",
    )


def _prepare(plan: RunPlan, tier: Tier, setup: RouterSetup) -> tuple[ModelSpec, Runnable[Any, Any]]:
    """The tier's model (as served, once known) and its chat model, kept by the setup, with the
    run's tools bound."""
    models, settings = setup.models(plan), setup.settings
    spec = models.spec(tier)
    model = models.model(tier, settings, model_options(plan, tier, settings))
    return spec, _with_run_tools(plan, tier, spec, model, settings)


async def _aprepare(
    plan: RunPlan, tier: Tier, setup: RouterSetup
) -> tuple[ModelSpec, Runnable[Any, Any]]:
    """`_prepare` for the running event loop (`TierModels.amodel`)."""
    models, settings = setup.models(plan), setup.settings
    options = model_options(plan, tier, settings)
    spec = models.spec(tier)
    model = await models.amodel(tier, settings, options, setup.http_clients)
    return spec, _with_run_tools(plan, tier, spec, model, settings)


def call_tier(
    plan: RunPlan,
    tier: Tier,
    messages: Sequence[BaseMessage],
    setup: RouterSetup,
    config: RunnableConfig | None = None,
) -> ModelCall:
    """Never raises for a failed call (the error is recorded); configuration errors do raise.

    Retries transient failures with backoff (asymroute.resilience), skips an endpoint that
    is cooling down, and applies the privacy policy to what the frontier is sent. The tier's
    chat model and served name are the setup's (`RouterSetup.models`).
    """
    setup.models(plan).resolve_served(tier, setup.settings)  # a self-hosted server's real name
    spec, model = _prepare(plan, tier, setup)
    call = _TierCall(plan, tier, spec, messages, setup)
    while (refusal := call.refusal()) is None:
        failure: BaseException | None
        try:
            reply: Any = model.invoke(call.outgoing.messages, config=config)
        except AsymrouteError:
            raise
        except Exception as exc:  # any failure of the endpoint is recorded and handled by routing
            reply, failure = None, exc
        else:
            failure = call.check_reply(reply)
        if failure is None:
            return call.answered(reply)
        delay = call.failed(failure)
        if delay is None:
            break
        call.resilience.sleep(delay)
    return call.unanswered(refusal)


async def acall_tier(
    plan: RunPlan,
    tier: Tier,
    messages: Sequence[BaseMessage],
    setup: RouterSetup,
    config: RunnableConfig | None = None,
) -> ModelCall:
    """`call_tier` without blocking the event loop: same accounting, same error handling."""
    await setup.models(plan).aresolve_served(tier, setup.settings)  # its server's real name
    spec, model = await _aprepare(plan, tier, setup)
    call = _TierCall(plan, tier, spec, messages, setup)
    while (refusal := call.refusal()) is None:
        failure: BaseException | None
        try:
            reply: Any = await model.ainvoke(call.outgoing.messages, config=config)
        except AsymrouteError:
            raise
        except Exception as exc:  # any failure of the endpoint is recorded and handled by routing
            reply, failure = None, exc
        else:
            failure = call.check_reply(reply)
        if failure is None:
            return call.answered(reply)
        delay = call.failed(failure)
        if delay is None:
            break
        await call.resilience.asleep(delay)
    return call.unanswered(refusal)


class EmptyCompletion(Exception):
    """The frontier replied with no text and no tool call; nothing validates its answers."""


class PrivacyHold(Exception):
    """The privacy policy keeps this request off the frontier: no request was sent."""


class _TierCall:
    """One tier call's attempts and their accounting; identical for both drivers."""

    def __init__(
        self,
        plan: RunPlan,
        tier: Tier,
        spec: ModelSpec,
        messages: Sequence[BaseMessage],
        setup: RouterSetup,
    ) -> None:
        settings = setup.settings
        self.plan, self.tier, self.spec, self.settings = plan, tier, spec, settings
        self.resilience = setup.resilience
        options = model_options(plan, tier, settings)
        self.log = AttemptLog(
            policy=retry_policy(tier, settings),
            resilience=self.resilience,
            endpoint=endpoint_of(spec, settings),
            attempt_timeout_s=options.connect_timeout_s + options.timeout_s,
        )
        self.outgoing = outgoing(plan.context.privacy, tier, messages)
        self.last_error: BaseException | None = None
        self.rejected: list[AIMessage] = []

    def refusal(self) -> BaseException | None:
        """Why no (further) attempt may be sent: privacy hold or cooldown; None lets it go."""
        if self.outgoing.blocked:
            return PrivacyHold(
                f"the request holds {', '.join(self.outgoing.blocked)}; privacy=route-local "
                "keeps it off the frontier"
            )
        return self.log.admit()

    def check_reply(self, reply: Any) -> BaseException | None:
        """A frontier reply with no text and no tool call counts as a failed attempt.

        Its tokens were still billed: they are kept, and added to the call's usage.
        """
        if (
            self.tier == "frontier"
            and isinstance(reply, AIMessage)
            and not reply.tool_calls
            and not content_text(reply).strip()
        ):
            self.rejected.append(reply)
            return EmptyCompletion("the model returned no text")
        return None

    def failed(self, exc: BaseException) -> float | None:
        self.last_error = exc
        return self.log.failed(exc, self.describe(exc))

    def describe(self, exc: BaseException) -> str:
        return scrub_secrets(describe_error(exc), known_secrets(self.settings))

    def answered(self, reply: Any) -> ModelCall:
        self.log.succeeded()
        message = reply if isinstance(reply, AIMessage) else AIMessage(content=str(reply.content))
        if self.outgoing.redaction is not None:
            message = restore_answer(message, self.outgoing.redaction)
        # JSON mode: the answer is the bare JSON, whichever tier fenced it.
        message = unfenced_reply(message, self.plan.context.response_format)
        return self._account(message, None)

    def unanswered(self, refusal: BaseException | None) -> ModelCall:
        """Every attempt failed, or none could be sent (`refusal` says why)."""
        if self.log.attempts == 0 or self.last_error is None:
            error = self.describe(refusal) if refusal is not None else "no attempt was made"
        else:
            error = self.log.errors[-1]
            if refusal is not None:
                error += f" (then {self.describe(refusal)})"
        logger.warning("%s call to %s failed: %s", self.tier, self.spec.id, error)
        return self._account(None, error)

    def _account(self, message: AIMessage | None, error: str | None) -> ModelCall:
        replies = [*self.rejected, *([message] if message is not None else [])]
        price = self.plan.price_table.price_for(self.spec.provider, self.spec.model)
        # A paid endpoint that reports no usage is estimated from the text, never free.
        paid = price is not None and not price.free
        estimate = paid and any(not reply.usage_metadata for reply in replies)
        usages: list[Mapping[str, Any]] = [
            reply.usage_metadata
            or (
                estimated_usage(self.outgoing.messages, reply, self.plan.context.tools)
                if estimate
                else {}
            )
            for reply in replies
        ]
        input_tokens = sum(int(usage.get("input_tokens", 0)) for usage in usages)
        output_tokens = sum(int(usage.get("output_tokens", 0)) for usage in usages)
        if price is None and error is None:
            _warn_unpriced(self.spec.id)
        record = UsageRecord(
            model=self.spec.id,
            tier=self.tier,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            latency_s=round(self.log.elapsed_s, 4),
            cost_usd=price.cost(input_tokens, output_tokens) if price else 0.0,
            priced=price is not None,
            error=error,
            attempts=self.log.attempts,
            attempt_errors=list(self.log.errors),
        )
        if estimate:
            record["tokens_estimated"] = True
        return ModelCall(message=message, usage=record)
