"""The chat models built for one plan, and the names its tiers' servers answer under.

This is mutable state (models are built on first use, a served name is learned on the first
call), so it lives in the `RouterSetup`, beside the plan it serves; the `RunPlan` itself stays
an immutable value.
"""

from __future__ import annotations

import asyncio
from asyncio import AbstractEventLoop
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from weakref import WeakKeyDictionary

from langchain_core.language_models import BaseChatModel

from asymroute.providers import ModelOptions, ModelSpec, get_provider
from asymroute.providers.async_http import AsyncHttpClients
from asymroute.records import Tier
from asymroute.settings import Settings


@dataclass
class TierModels:
    configured: Mapping[Tier, ModelSpec]
    """Each tier's model as the plan's context names it."""
    sync: dict[Tier, BaseChatModel] = field(default_factory=dict, repr=False)
    """Chat models built for the plan. Building one costs tens of ms (HTTP clients, TLS
    setup), and plans are cached per context, so each tier's model is built once."""
    per_loop: WeakKeyDictionary[AbstractEventLoop, dict[Tier, BaseChatModel]] = field(
        default_factory=WeakKeyDictionary, repr=False
    )
    """Per event loop: async HTTP clients hold connections bound to the loop that opened them,
    so a model used under one `asyncio.run` cannot serve the next one."""
    served: dict[Tier, ModelSpec] = field(default_factory=dict)
    """Each tier's model as its server names it, once asked (`providers.served_models`)."""

    def spec(self, tier: Tier) -> ModelSpec:
        """The tier's model: as served, once known, else as configured."""
        return self.served.get(tier) or self.configured[tier]

    def use_served(self, tier: Tier, name: str | None) -> None:
        """Name (and call) the tier's model as its server does; None: not known (yet)."""
        if name is None:
            return
        served = replace(self.configured[tier], model=name)
        if self.served.get(tier) == served:
            return
        self.served[tier] = served
        self.sync.pop(tier, None)  # built under the configured name
        for models in self.per_loop.values():
            models.pop(tier, None)

    def resolve_served(self, tier: Tier, settings: Settings) -> None:
        """Ask the tier's server, once, which model answers (blocking; for `call_tier`)."""
        lookup = getattr(get_provider(self.spec(tier)), "served_model", None)
        if tier not in self.served and lookup is not None:
            self.use_served(tier, lookup(self.spec(tier).model, settings))

    async def aresolve_served(self, tier: Tier, settings: Settings) -> None:
        """`resolve_served` without blocking the event loop (for `acall_tier`)."""
        lookup = getattr(get_provider(self.spec(tier)), "aserved_model", None)
        if tier not in self.served and lookup is not None:
            self.use_served(tier, await lookup(self.spec(tier).model, settings))

    def model(self, tier: Tier, settings: Settings, options: ModelOptions) -> BaseChatModel:
        """The tier's chat model for blocking calls, built on first use."""
        model = self.sync.get(tier)
        if model is None:
            spec = self.spec(tier)
            built = get_provider(spec).create(spec.model, settings, options)
            model = self.sync.setdefault(tier, built)
        return model

    async def amodel(
        self,
        tier: Tier,
        settings: Settings,
        options: ModelOptions,
        http_clients: AsyncHttpClients | None = None,
    ) -> BaseChatModel:
        """The tier's chat model for the running event loop; it is built in a worker thread.

        Building one may touch the disk (a GGUF lookup, TLS certificates), which must not block
        the loop; the HTTP client is taken on the loop, which it belongs to.
        """
        loop = asyncio.get_running_loop()
        models = self.per_loop.setdefault(loop, {})
        model = models.get(tier)
        if model is None:
            spec = self.spec(tier)
            provider = get_provider(spec)
            if http_clients is not None:
                client = http_clients.for_loop(loop, provider)
                options = replace(options, async_http_client=client)
            built = await asyncio.to_thread(provider.create, spec.model, settings, options)
            model = models.setdefault(tier, built)
        return model
