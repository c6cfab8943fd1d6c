"""Resolve a run's context and the settings into a checked plan, before any model call."""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType

from asymroute.classifiers import Classifier, get_classifier
from asymroute.context import RouterContext
from asymroute.deployments import (
    Deployment,
    InFlight,
    TierDeployments,
    all_of,
    primary,
    single,
)
from asymroute.errors import ConfigurationError
from asymroute.json_mode import wants_json
from asymroute.model_list import ModelList, load_model_list
from asymroute.pricing import PriceTable, get_price_table
from asymroute.providers import (
    ModelOptions,
    ModelSpec,
    check_credentials,
    get_provider,
    parse_model,
)
from asymroute.providers.async_http import AsyncHttpClients
from asymroute.records import Tier
from asymroute.resilience import Resilience
from asymroute.settings import Settings
from asymroute.tier_models import TierModels
from asymroute.validators import Validator, get_validators


@dataclass(frozen=True)
class RunPlan:
    """A run's checked choices: an immutable value, cached per context by the `RouterSetup`.

    What changes while runs use it (the chat models built for it, the names its tiers'
    servers answer under) is the setup's: `RouterSetup.models(plan)`, `RouterSetup.spec`.
    """

    context: RouterContext
    local: ModelSpec
    """The local tier's first deployment (the tier's name in messages and checks)."""
    frontier: ModelSpec
    frontier_available: bool
    classifier: Classifier
    validators: tuple[Validator, ...]
    price_table: PriceTable
    tiers: Mapping[Tier, TierDeployments] = field(default_factory=dict, compare=False)
    """Each tier's deployments in fallback order (`asymroute.deployments`); a tier missing
    here is its one `local` / `frontier` model."""

    def deployments(self, tier: Tier) -> TierDeployments:
        own = self.tiers.get(tier)
        return own if own is not None else single(self.local if tier == "local" else self.frontier)


_DEFAULT_MODELS = {f.name: f.default for f in fields(RouterContext)}


def tier_deployments(
    context: RouterContext, tier: Tier, model_list: ModelList | None
) -> TierDeployments:
    """The tier as the context names it: a deployment id of the model list, or
    `provider:model`; the context's built-in default gives way to the list's tier."""
    role = f"{tier}_model"
    name: str = getattr(context, role)
    if model_list is not None:
        if isinstance(name, str) and name in model_list.deployments:
            return ((model_list.deployments[name],),)
        if tier in model_list.tiers and name == _DEFAULT_MODELS[role]:
            return model_list.tiers[tier]
    return single(parse_model(name, role=role))


def plan_run(
    context: RouterContext | None, settings: Settings, model_list: ModelList | None = None
) -> RunPlan:
    """Raises `ConfigurationError` naming the bad field and the valid choices."""
    context = context if context is not None else RouterContext()
    if not isinstance(context, RouterContext):
        raise ConfigurationError(
            f"context must be a RouterContext or a dict of its fields, got {type(context).__name__}"
        )
    context.sampling()  # checks the sampling parameters
    tiers: dict[Tier, TierDeployments] = {
        "local": tier_deployments(context, "local", model_list),
        "frontier": tier_deployments(context, "frontier", model_list),
    }
    classifier = get_classifier(context.classifier)
    # A classifier with weights to load (an embedder) loads them here: `plan` runs in a worker
    # thread under an event loop, `score` on the loop itself.
    warm_up = getattr(classifier, "warm_up", None)
    if warm_up is not None:
        warm_up()
    return RunPlan(
        context=context,
        local=primary(tiers["local"]).spec,
        frontier=primary(tiers["frontier"]).spec,
        frontier_available=any(configured(d, settings) for d in all_of(tiers["frontier"])),
        classifier=classifier,
        validators=tuple(get_validators(validator_names(context), context.validation_policy())),
        price_table=get_price_table(settings.price_table, settings.price_overrides),
        tiers=MappingProxyType(tiers),  # the plan is a value: read-only
    )


def configured(deployment: Deployment, settings: Settings) -> bool:
    """A listed deployment with its own endpoint or key needs no provider-wide setting."""
    return (
        deployment.base_url is not None
        or deployment.api_key is not None
        or get_provider(deployment.spec).is_configured(settings)
    )


def validator_names(context: RouterContext) -> tuple[str, ...]:
    """The context's validators, with `format` right after `structural` when the request asks
    for JSON: an answer that is not the JSON asked for must never pass; `tool_calls` likewise
    when the run offers tools (a call of no offered tool, or with bad arguments, never passes),
    followed by `grounding` unless `tool_grounding` is off."""
    names = context.validators
    if context.tools:
        if context.tool_grounding:
            names = _after_structural(names, "grounding")
        names = _after_structural(names, "tool_calls")
    if not wants_json(context.response_format):
        return names
    return _after_structural(names, "format")


def _after_structural(names: tuple[str, ...], name: str) -> tuple[str, ...]:
    if name in names:
        return names
    at = names.index("structural") + 1 if "structural" in names else 0
    return (*names[:at], name, *names[at:])


def connect_timeout(tier: Tier, settings: Settings) -> float:
    own = (
        settings.local_connect_timeout_s if tier == "local" else settings.frontier_connect_timeout_s
    )
    return own if own is not None else settings.connect_timeout_s


def model_options(plan: RunPlan, tier: Tier, settings: Settings) -> ModelOptions:
    local = tier == "local"
    sampling = plan.context.sampling()
    return ModelOptions(
        max_output_tokens=plan.context.max_output_tokens,
        temperature=plan.context.temperature,
        timeout_s=settings.local_timeout_s if local else settings.frontier_timeout_s,
        connect_timeout_s=connect_timeout(tier, settings),
        # call_tier retries (asymroute.resilience); client retries would multiply with ours.
        max_retries=0,
        stop=plan.context.stop,
        # The confidence validator reads the local answer's token log-probs.
        logprobs=local and "confidence" in plan.context.validators,
        response_format=plan.context.response_format,
        # Several choices come from the frontier only (asymroute.guards).
        sampling=replace(sampling, n=1) if local else sampling,
    )


PLAN_CACHE_SIZE = 256


@dataclass
class _CachedPlan:
    plan: RunPlan
    models: TierModels = field(init=False)

    def __post_init__(self) -> None:
        self.models = TierModels(
            {"local": self.plan.deployments("local"), "frontier": self.plan.deployments("frontier")}
        )


@dataclass(frozen=True)
class RouterSetup:
    """What a router graph is built with: settings, and the context used when none is given."""

    settings: Settings
    defaults: RouterContext
    resilience: Resilience = field(default=None, compare=False)  # type: ignore[assignment]
    """Endpoint breakers: they live as long as the compiled graph, shared by all its runs."""
    http_clients: AsyncHttpClients = field(default=None, compare=False)  # type: ignore[assignment]
    """Async HTTP clients per event loop, shared by all runs (closed by `aclose`)."""
    model_list: ModelList | None = field(default=None, compare=False)
    """The deployments of `ASYMROUTE_MODEL_LIST`, loaded (and checked) once, when built."""
    in_flight: InFlight = field(default_factory=InFlight, compare=False, repr=False)
    """Calls in flight per deployment, shared by all runs (least-in-flight, concurrency caps)."""
    # Every node of every run plans from its context; a gateway serves a handful of distinct
    # contexts, so plan each once (contexts are frozen, hence hashable), most recent last.
    # Beside each plan: the models built for it, and its tiers' served names.
    _plans: OrderedDict[RouterContext, _CachedPlan] = field(
        default_factory=OrderedDict, init=False, repr=False, compare=False
    )
    _plans_lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.resilience is None:
            object.__setattr__(self, "resilience", Resilience.from_settings(self.settings))
        if self.http_clients is None:
            clients = AsyncHttpClients(self.settings.async_http_client)
            object.__setattr__(self, "http_clients", clients)
        if self.model_list is None and self.settings.model_list_path is not None:
            object.__setattr__(self, "model_list", load_model_list(self.settings.model_list_path))

    @classmethod
    def build(cls, settings: Settings, defaults: RouterContext | None = None) -> RouterSetup:
        """Checks the defaults now, so a bad model string or a missing key fails at graph
        build time (the gateway's and `langgraph dev`'s start-up)."""
        defaults = defaults if defaults is not None else RouterContext()
        setup = cls(settings=settings, defaults=defaults)  # loads and checks the model list
        try:
            plan = plan_run(defaults, settings, setup.model_list)
            for tier in ("local", "frontier"):
                for deployment in all_of(plan.deployments(tier)):
                    # A key variable that is not set; a listed deployment's own key (its
                    # api_key_env, checked when the list was loaded) stands in for it.
                    if deployment.api_key is None:
                        check_credentials(deployment.spec, settings)
        except ConfigurationError as exc:
            raise ConfigurationError(f"default routing context is invalid: {exc}") from exc
        return setup

    def plan(self, context: RouterContext | None) -> RunPlan:
        context = context if context is not None else self.defaults
        cached = self._cached_plan(context)
        if cached is not None:
            return cached
        # raises for a non-context
        return self._entry(plan_run(context, self.settings, self.model_list)).plan

    async def aplan(self, context: RouterContext | None) -> RunPlan:
        """`plan` for an event loop: a plan not yet cached is built in a worker thread.

        Building one loads the classifier's and validators' weight files, which blocks; the
        LangGraph server's blocking detector rejects that on its event loop.
        """
        context = context if context is not None else self.defaults
        cached = self._cached_plan(context)
        return cached if cached is not None else await asyncio.to_thread(self.plan, context)

    def models(self, plan: RunPlan) -> TierModels:
        """The chat models built for `plan` (and its tiers' served names), kept here."""
        return self._entry(plan).models

    def spec(self, plan: RunPlan, tier: Tier) -> ModelSpec:
        """The tier's model: as its server names it, once known, else as configured."""
        return self._entry(plan).models.spec(tier)

    def _entry(self, plan: RunPlan) -> _CachedPlan:
        """The cache entry of the plan's context, made (and the oldest one dropped) if none."""
        with self._plans_lock:
            entry = self._plans.get(plan.context)
            if entry is None:
                entry = self._plans[plan.context] = _CachedPlan(plan)
                if len(self._plans) > PLAN_CACHE_SIZE:
                    self._plans.popitem(last=False)
            return entry

    def _cached_plan(self, context: RouterContext) -> RunPlan | None:
        try:
            with self._plans_lock:
                entry = self._plans.get(context)
                if entry is not None:
                    self._plans.move_to_end(context)
                return entry.plan if entry is not None else None
        except TypeError:  # not hashable: not a RouterContext, plan_run names the problem
            return None

    async def aclose(self) -> None:
        """Close the running event loop's pooled HTTP connections (a server's shutdown)."""
        await self.http_clients.aclose()
