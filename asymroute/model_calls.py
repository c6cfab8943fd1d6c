"""Call one tier's model and account for it: answer or error, tokens, latency, cost."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig

from asymroute.budget import estimated_usage
from asymroute.deployments import Deployment
from asymroute.effects import ModelCall
from asymroute.effects import finish_reason as finish_reason  # re-exported for callers
from asymroute.errors import AsymrouteError
from asymroute.json_mode import unfenced_reply
from asymroute.planning import RouterSetup, RunPlan, model_options
from asymroute.pricing.base import ModelPrice
from asymroute.privacy.policy import outgoing, restore_answer
from asymroute.privacy.scrub import known_secrets, scrub_secrets
from asymroute.providers import ModelOptions, ModelSpec, calls_tools, endpoint_of, get_provider
from asymroute.records import Tier, UsageRecord
from asymroute.requests import content_text
from asymroute.resilience import retry_policy
from asymroute.resilience.attempts import AttemptLog
from asymroute.settings import Settings
from asymroute.tier_route import TierRoute
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
    plan: RunPlan, spec: ModelSpec, model: BaseChatModel, settings: Settings
) -> Runnable[Any, Any]:
    """The model with the run's tools bound, if it has any and can call them
    (`asymroute.tool_calls`, `providers.calls_tools`)."""
    context, provider = plan.context, get_provider(spec)
    return bind_run_tools(
        model,
        context.tools,
        context.tool_choice,
        context.parallel_tool_calls,
        calls_tools=calls_tools(spec, settings),
        parallel_supported=getattr(provider, "parallel_tool_calls", False),
    )


def _options(plan: RunPlan, tier: Tier, deployment: Deployment, settings: Settings) -> ModelOptions:
    """The run's options for the tier, with the deployment's own endpoint and key, if any."""
    options = model_options(plan, tier, settings)
    if deployment.base_url is None and deployment.api_key is None:
        return options
    return replace(options, base_url=deployment.base_url, api_key=deployment.api_key)


def _prepare(
    plan: RunPlan, tier: Tier, deployment: Deployment, setup: RouterSetup
) -> tuple[ModelSpec, Runnable[Any, Any]]:
    """The deployment's model (as served, once known) and its chat model, kept by the setup,
    with the run's tools bound."""
    models, settings = setup.models(plan), setup.settings
    spec = models.spec_of(deployment)
    model = models.model(tier, deployment, settings, _options(plan, tier, deployment, settings))
    return spec, _with_run_tools(plan, spec, model, settings)


async def _aprepare(
    plan: RunPlan, tier: Tier, deployment: Deployment, setup: RouterSetup
) -> tuple[ModelSpec, Runnable[Any, Any]]:
    """`_prepare` for the running event loop (`TierModels.amodel`)."""
    models, settings = setup.models(plan), setup.settings
    options = _options(plan, tier, deployment, settings)
    spec = models.spec_of(deployment)
    model = await models.amodel(tier, deployment, settings, options, setup.http_clients)
    return spec, _with_run_tools(plan, spec, model, settings)


def _single(plan: RunPlan, tier: Tier) -> Deployment | None:
    """The tier's one zero-config deployment, called directly; None: route across deployments."""
    groups = plan.deployments(tier)
    only = groups[0][0]
    return only if len(groups) == 1 and len(groups[0]) == 1 and not only.listed else None


def call_tier(
    plan: RunPlan,
    tier: Tier,
    messages: Sequence[BaseMessage],
    setup: RouterSetup,
    config: RunnableConfig | None = None,
) -> ModelCall:
    """Never raises for a failed call (the error is recorded); configuration errors do raise.

    Retries transient failures with backoff (asymroute.resilience), skips an endpoint that
    is cooling down, falls back to the tier's next deployment (asymroute.tier_route), and
    applies the privacy policy to what the frontier is sent. The chat models and served names
    are the setup's (`RouterSetup.models`).
    """
    only = _single(plan, tier)
    if only is not None:
        return _call_deployment(plan, tier, only, messages, setup, config).result
    route = TierRoute(plan, tier, setup)
    for deployment in route.deployments():
        try:
            done = _call_deployment(plan, tier, deployment, messages, setup, config)
        finally:
            route.release(deployment)
        if route.attempted(deployment, done.result, done.call.last_error, done.held):
            break
    return route.result()


async def acall_tier(
    plan: RunPlan,
    tier: Tier,
    messages: Sequence[BaseMessage],
    setup: RouterSetup,
    config: RunnableConfig | None = None,
) -> ModelCall:
    """`call_tier` without blocking the event loop: same accounting, same error handling."""
    only = _single(plan, tier)
    if only is not None:
        return (await _acall_deployment(plan, tier, only, messages, setup, config)).result
    route = TierRoute(plan, tier, setup)
    for deployment in route.deployments():
        try:
            done = await _acall_deployment(plan, tier, deployment, messages, setup, config)
        finally:
            route.release(deployment)
        if route.attempted(deployment, done.result, done.call.last_error, done.held):
            break
    return route.result()


@dataclass
class _Done:
    call: _TierCall
    result: ModelCall
    held: bool
    """The privacy policy kept the request from being sent (the same for every deployment)."""


def _call_deployment(
    plan: RunPlan,
    tier: Tier,
    deployment: Deployment,
    messages: Sequence[BaseMessage],
    setup: RouterSetup,
    config: RunnableConfig | None,
) -> _Done:
    setup.models(plan).resolve_served(deployment, setup.settings)  # a self-hosted server's name
    spec, model = _prepare(plan, tier, deployment, setup)
    call = _TierCall(plan, tier, deployment, spec, messages, setup)
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
            return _Done(call, call.answered(reply), held=False)
        delay = call.failed(failure)
        if delay is None:
            break
        call.resilience.sleep(delay)
    return _Done(call, call.unanswered(refusal), held=isinstance(refusal, PrivacyHold))


async def _acall_deployment(
    plan: RunPlan,
    tier: Tier,
    deployment: Deployment,
    messages: Sequence[BaseMessage],
    setup: RouterSetup,
    config: RunnableConfig | None,
) -> _Done:
    """`_call_deployment` on the event loop."""
    await setup.models(plan).aresolve_served(deployment, setup.settings)  # its server's name
    spec, model = await _aprepare(plan, tier, deployment, setup)
    call = _TierCall(plan, tier, deployment, spec, messages, setup)
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
            return _Done(call, call.answered(reply), held=False)
        delay = call.failed(failure)
        if delay is None:
            break
        await call.resilience.asleep(delay)
    return _Done(call, call.unanswered(refusal), held=isinstance(refusal, PrivacyHold))


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
        deployment: Deployment,
        spec: ModelSpec,
        messages: Sequence[BaseMessage],
        setup: RouterSetup,
    ) -> None:
        settings = setup.settings
        self.plan, self.tier, self.spec, self.settings = plan, tier, spec, settings
        self.deployment = deployment
        self.resilience = setup.resilience
        options = model_options(plan, tier, settings)
        self.log = AttemptLog(
            policy=retry_policy(tier, settings),
            resilience=self.resilience,
            endpoint=endpoint_of(spec, settings, deployment.base_url),
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
        secrets = known_secrets(self.settings)
        if self.deployment.api_key is not None:
            secrets = (*secrets, self.deployment.api_key.get_secret_value())
        return scrub_secrets(describe_error(exc), secrets)

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
        price = deployment_price(self.deployment, self.plan, self.spec)
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


def deployment_price(deployment: Deployment, plan: RunPlan, spec: ModelSpec) -> ModelPrice | None:
    """The deployment's own price (the model list), else the price table's; None: unknown."""
    if deployment.price == "unknown":
        return None
    if deployment.price is not None:
        return deployment.price
    return plan.price_table.price_for(spec.provider, spec.model)
