"""The chat models built for one plan, and the names its deployments' servers answer under.

This is mutable state (models are built on first use, a served name is learned on the first
call), so it lives in the `RouterSetup`, beside the plan it serves; the `RunPlan` itself stays
an immutable value. Everything is kept per deployment (`asymroute.deployments`): a tier of
several deployments has a chat model and a served name for each.
"""

from __future__ import annotations

import asyncio
from asyncio import AbstractEventLoop
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from weakref import WeakKeyDictionary

from langchain_core.language_models import BaseChatModel

from asymroute.deployments import Deployment, TierDeployments, primary
from asymroute.providers import ModelOptions, ModelSpec, calls_tools, get_provider
from asymroute.providers.async_http import AsyncHttpClients
from asymroute.records import Tier
from asymroute.settings import Settings


def deployment_calls_tools(deployment: Deployment, spec: ModelSpec, settings: Settings) -> bool:
    """Whether the deployment may be sent tools: as its model list entry says
    (`capabilities.tools`, and the provider can bind them), else as the provider knows."""
    declared = deployment.capabilities.tools
    if declared is None:
        return calls_tools(spec, settings, deployment.base_url)
    return declared and bool(getattr(get_provider(spec), "calls_tools", False))


def endpoint_overrides(deployment: Deployment) -> dict[str, Any]:
    """A listed deployment's own endpoint and key, as keyword arguments of a provider's
    `served_model` hooks (none for a zero-config deployment: the provider's settings)."""
    overrides: dict[str, Any] = {}
    if deployment.base_url is not None:
        overrides["base_url"] = deployment.base_url
    if deployment.api_key is not None:
        overrides["api_key"] = deployment.api_key
    return overrides


@dataclass
class TierModels:
    configured: Mapping[Tier, TierDeployments]
    """Each tier's deployments as the plan names them."""
    sync: dict[tuple[Tier, str], BaseChatModel] = field(default_factory=dict, repr=False)
    """Chat models built for the plan, per tier and deployment id (a tier's options differ).
    Building one costs tens of ms (HTTP clients, TLS setup), and plans are cached per context,
    so each is built once."""
    per_loop: WeakKeyDictionary[AbstractEventLoop, dict[tuple[Tier, str], BaseChatModel]] = field(
        default_factory=WeakKeyDictionary, repr=False
    )
    """Per event loop: async HTTP clients hold connections bound to the loop that opened them,
    so a model used under one `asyncio.run` cannot serve the next one."""
    served: dict[str, ModelSpec] = field(default_factory=dict)
    """Each deployment's model as its server names it, once asked (`providers.served_models`)."""

    def spec(self, tier: Tier) -> ModelSpec:
        """The tier's (first deployment's) model: as served, once known, else as configured."""
        return self.spec_of(primary(self.configured[tier]))

    def spec_of(self, deployment: Deployment) -> ModelSpec:
        return self.served.get(deployment.id) or deployment.spec

    def use_served(self, deployment: Deployment, name: str | None) -> None:
        """Name (and call) the deployment's model as its server does; None: not known (yet)."""
        if name is None:
            return
        served = replace(deployment.spec, model=name)
        if self.served.get(deployment.id) == served:
            return
        self.served[deployment.id] = served
        for models in [self.sync, *self.per_loop.values()]:  # built under the configured name
            for key in [key for key in models if key[1] == deployment.id]:
                models.pop(key, None)

    def resolve_served(self, deployment: Deployment, settings: Settings) -> None:
        """Ask the deployment's server, once, which model answers (blocking; for `call_tier`)."""
        lookup = getattr(get_provider(deployment.spec), "served_model", None)
        if deployment.id not in self.served and lookup is not None:
            name = lookup(deployment.spec.model, settings, **endpoint_overrides(deployment))
            self.use_served(deployment, name)

    async def aresolve_served(self, deployment: Deployment, settings: Settings) -> None:
        """`resolve_served` without blocking the event loop (for `acall_tier`)."""
        lookup = getattr(get_provider(deployment.spec), "aserved_model", None)
        if deployment.id not in self.served and lookup is not None:
            name = await lookup(deployment.spec.model, settings, **endpoint_overrides(deployment))
            self.use_served(deployment, name)

    def model(
        self, tier: Tier, deployment: Deployment, settings: Settings, options: ModelOptions
    ) -> BaseChatModel:
        """The deployment's chat model for blocking calls, built on first use."""
        model = self.sync.get((tier, deployment.id))
        if model is None:
            spec = self.spec_of(deployment)
            built = get_provider(spec).create(spec.model, settings, options)
            model = self.sync.setdefault((tier, deployment.id), built)
        return model

    async def amodel(
        self,
        tier: Tier,
        deployment: Deployment,
        settings: Settings,
        options: ModelOptions,
        http_clients: AsyncHttpClients | None = None,
    ) -> BaseChatModel:
        """The deployment's chat model for the running event loop; built in a worker thread.

        Building one may touch the disk (a GGUF lookup, TLS certificates), which must not block
        the loop; the HTTP client is taken on the loop, which it belongs to.
        """
        loop = asyncio.get_running_loop()
        models = self.per_loop.setdefault(loop, {})
        model = models.get((tier, deployment.id))
        if model is None:
            spec = self.spec_of(deployment)
            provider = get_provider(spec)
            if http_clients is not None:
                client = http_clients.for_loop(loop, provider)
                options = replace(options, async_http_client=client)
            built = await asyncio.to_thread(provider.create, spec.model, settings, options)
            model = models.setdefault((tier, deployment.id), built)
        return model
