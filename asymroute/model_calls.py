"""Call one tier and account for it: answer or error, tokens, latency, cost.

A tier of one zero-config model is called directly; a tier from a model list goes through its
deployments in `tier_route`'s order. Each deployment's call and its accounting: `tier_call`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig

from asymroute.deployments import Deployment, primary
from asymroute.effects import ModelCall
from asymroute.effects import finish_reason as finish_reason  # re-exported for callers
from asymroute.errors import AsymrouteError
from asymroute.planning import RouterSetup, RunPlan, model_options
from asymroute.providers import ModelOptions, ModelSpec, get_provider
from asymroute.records import Tier
from asymroute.settings import Settings
from asymroute.tier_call import PrivacyHold, TierCall
from asymroute.tier_call import describe_error as describe_error  # re-exported for callers
from asymroute.tier_models import deployment_calls_tools
from asymroute.tier_route import TierRoute, request_needs
from asymroute.tool_calls import bind_run_tools


def _with_run_tools(
    plan: RunPlan,
    tier: Tier,
    deployment: Deployment,
    spec: ModelSpec,
    model: BaseChatModel,
    settings: Settings,
) -> Runnable[Any, Any]:
    """The model with the run's tools bound, if it has any and can call them
    (`asymroute.tool_calls`, `providers.calls_tools`); the local tier's call is made whole."""
    context, provider = plan.context, get_provider(spec)
    return bind_run_tools(
        model,
        context.tools,
        context.tool_choice,
        context.parallel_tool_calls,
        calls_tools=deployment_calls_tools(deployment, spec, settings),
        parallel_supported=getattr(provider, "parallel_tool_calls", False),
        whole=tier == "local",
    )


def _options(plan: RunPlan, tier: Tier, deployment: Deployment, settings: Settings) -> ModelOptions:
    """The run's options for the tier, with the deployment's own endpoint and key, if any."""
    options = model_options(plan, tier, settings)
    if deployment.base_url is None and deployment.api_key is None:
        return options
    return replace(options, base_url=deployment.base_url, api_key=deployment.api_key)


def _prepare(
    plan: RunPlan, tier: Tier, setup: RouterSetup, deployment: Deployment | None = None
) -> tuple[ModelSpec, Runnable[Any, Any]]:
    """The deployment's model (as served, once known) and its chat model, kept by the setup,
    with the run's tools bound; no deployment: the tier's first."""
    deployment = deployment or primary(plan.deployments(tier))
    models, settings = setup.models(plan), setup.settings
    spec = models.spec_of(deployment)
    model = models.model(tier, deployment, settings, _options(plan, tier, deployment, settings))
    return spec, _with_run_tools(plan, tier, deployment, spec, model, settings)


async def _aprepare(
    plan: RunPlan, tier: Tier, setup: RouterSetup, deployment: Deployment | None = None
) -> tuple[ModelSpec, Runnable[Any, Any]]:
    """`_prepare` for the running event loop (`TierModels.amodel`)."""
    deployment = deployment or primary(plan.deployments(tier))
    models, settings = setup.models(plan), setup.settings
    options = _options(plan, tier, deployment, settings)
    spec = models.spec_of(deployment)
    model = await models.amodel(tier, deployment, settings, options, setup.http_clients)
    return spec, _with_run_tools(plan, tier, deployment, spec, model, settings)


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
    route = TierRoute(plan, tier, setup, needs=request_needs(plan.context, messages))
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
    route = TierRoute(plan, tier, setup, needs=request_needs(plan.context, messages))
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
    call: TierCall
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
    spec, model = _prepare(plan, tier, setup, deployment)
    call = TierCall(plan, tier, deployment, spec, messages, setup)
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
    spec, model = await _aprepare(plan, tier, setup, deployment)
    call = TierCall(plan, tier, deployment, spec, messages, setup)
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
