"""A tier as an ordered list of deployments, and which one a call goes to (pure, no I/O).

A deployment is one model at one endpoint (`ModelSpec` plus its own base URL and key, from
the model list, `asymroute.model_list`). A tier is a tuple of priority groups: the first group
is tried first, its deployments being equals that share the load; the next group is the
fallback. Without a model list a tier is one group of one deployment, named by the context's
`provider:model` string, using the provider's settings (the zero-config default).

The strategy inside a group (docs/reliability.md, "Fallback and load balancing inside a
tier"): **least in-flight requests, with weights** — the deployment with the lowest
`(in_flight + 1) / weight` first;
equals broken at random in proportion to weight, so idle equal deployments share calls by
weight. A deployment cooling down (breaker open) or at its `max_concurrency` is skipped, never
waited for; so is one that does not fit the request (`RequestNeeds`): a stated context window
smaller than the estimated prompt plus the most output tokens asked, `capabilities.vision:
false` for a request with images, `capabilities.json_mode: false` for one with
`response_format`. A capability not stated (None) is left to the provider's own knowledge,
checked for the tier as a whole (`asymroute.guards`).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import SecretStr

from asymroute.pricing.base import ModelPrice
from asymroute.providers.base import ModelSpec

UnfitReason = Literal["context_window_too_small", "cannot_read_images", "no_json_mode"]
SkipReason = Literal["cooling_down", "at_concurrency_limit"] | UnfitReason
PriceChoice = ModelPrice | Literal["unknown"] | None
"""A deployment's own price; "unknown": costed at $0 and flagged; None: the price table's."""


@dataclass(frozen=True)
class Capabilities:
    tools: bool | None = None
    json_mode: bool | None = None
    vision: bool | None = None
    """None: not stated (the provider's own knowledge applies)."""


@dataclass(frozen=True)
class Deployment:
    id: str
    spec: ModelSpec
    base_url: str | None = None
    api_key: SecretStr | None = field(default=None, repr=False, compare=False)
    api_key_env: str | None = None
    price: PriceChoice = None
    context_window: int | None = None
    capabilities: Capabilities = field(default_factory=Capabilities)
    max_concurrency: int | None = None
    """Calls in flight at once in this process; None: no limit."""
    weight: float = 1.0
    listed: bool = False
    """From a model list (its id is reported); False: the zero-config `provider:model`."""

    @classmethod
    def of(cls, spec: ModelSpec) -> Deployment:
        """The zero-config deployment: the provider's configured endpoint and key."""
        return cls(id=spec.id, spec=spec)


TierDeployments = tuple[tuple[Deployment, ...], ...]
"""Priority groups, in fallback order; the deployments of one group share the load."""


def single(spec: ModelSpec) -> TierDeployments:
    return ((Deployment.of(spec),),)


def primary(tier: TierDeployments) -> Deployment:
    """The deployment a tier is named by (its first): messages, capability checks."""
    return tier[0][0]


def all_of(tier: TierDeployments) -> Iterator[Deployment]:
    for group in tier:
        yield from group


@dataclass(frozen=True)
class RequestNeeds:
    """What a request asks of the deployment that answers it (none by default)."""

    tokens: int = 0
    """The estimated prompt (tools and images counted) plus the most output tokens asked."""
    images: bool = False
    json_mode: bool = False
    """The request asks for `response_format` (JSON object or schema)."""


NO_NEEDS = RequestNeeds()


def unfit(deployment: Deployment, needs: RequestNeeds) -> UnfitReason | None:
    """Why the deployment cannot take the request, from what its model list entry states."""
    window = deployment.context_window
    if window is not None and needs.tokens > window:
        return "context_window_too_small"
    if needs.images and deployment.capabilities.vision is False:
        return "cannot_read_images"
    if needs.json_mode and deployment.capabilities.json_mode is False:
        return "no_json_mode"
    return None


def tier_unfit(tier: TierDeployments, needs: RequestNeeds) -> dict[str, UnfitReason]:
    """Each deployment's reason when none of the tier's fits the request; {}: one does."""
    reasons: dict[str, UnfitReason] = {}
    for deployment in all_of(tier):
        reason = unfit(deployment, needs)
        if reason is None:
            return {}
        reasons[deployment.id] = reason
    return reasons


@dataclass(frozen=True)
class Candidate:
    deployment: Deployment
    skipped: SkipReason | None = None
    """Why it is not called (it is listed so the route record can say so)."""


def call_order(
    tier: TierDeployments,
    in_flight: Mapping[str, int],
    cooling_down: Callable[[Deployment], bool],
    rng: random.Random,
    needs: RequestNeeds = NO_NEEDS,
) -> list[Candidate]:
    """Every deployment of the tier, in the order to try them, each skipped one with why."""
    order: list[Candidate] = []
    for group in tier:
        usable: list[Deployment] = []
        for deployment in group:
            if (reason := unfit(deployment, needs)) is not None:
                order.append(Candidate(deployment, reason))
            elif cooling_down(deployment):
                order.append(Candidate(deployment, "cooling_down"))
            elif at_limit(deployment, in_flight.get(deployment.id, 0)):
                order.append(Candidate(deployment, "at_concurrency_limit"))
            else:
                usable.append(deployment)
        order.extend(Candidate(deployment) for deployment in balanced(usable, in_flight, rng))
    # Skipped ones last: a reader of the order sees the calls first; their reasons are kept.
    return [c for c in order if c.skipped is None] + [c for c in order if c.skipped is not None]


def balanced(
    group: Sequence[Deployment], in_flight: Mapping[str, int], rng: random.Random
) -> list[Deployment]:
    """Least `(in_flight + 1) / weight` first; ties drawn at random, weighted."""
    if len(group) < 2:
        return list(group)
    remaining, order = list(group), []
    while remaining:
        loads = [(in_flight.get(d.id, 0) + 1) / d.weight for d in remaining]
        least = min(loads)
        tied = [d for d, load in zip(remaining, loads, strict=True) if load == least]
        chosen = tied[0] if len(tied) == 1 else rng.choices(tied, [d.weight for d in tied])[0]
        order.append(chosen)
        remaining.remove(chosen)
    return order


def at_limit(deployment: Deployment, in_flight: int) -> bool:
    limit = deployment.max_concurrency
    return limit is not None and in_flight >= limit


class InFlight:
    """Calls in flight per deployment id, in this process; thread-safe (sync and async runs)."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def try_acquire(self, deployment: Deployment) -> bool:
        """Count one more call, unless the deployment is at its limit (then False)."""
        with self._lock:
            count = self._counts.get(deployment.id, 0)
            if at_limit(deployment, count):
                return False
            self._counts[deployment.id] = count + 1
            return True

    def release(self, deployment: Deployment) -> None:
        with self._lock:
            count = self._counts.get(deployment.id, 0) - 1
            if count > 0:
                self._counts[deployment.id] = count
            else:
                self._counts.pop(deployment.id, None)
