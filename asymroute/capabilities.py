"""Route around a tier that cannot honour what a request asks for.

A request may ask for sampling parameters (`asymroute.sampling`) or carry non-text content
(images, audio, files). A tier whose model cannot honour them is skipped, and the result says
so with a flag: `local_skipped_unsupported` (the frontier answers; no local answer, no local
fallback) or `frontier_skipped_unsupported` (the local answer stands; no escalation). When no
usable tier can honour them, the request is refused with a 400 naming what and which tier.

Skipping rather than refusing: a client that sends `seed` or an image to the gateway asks for
an answer that honours them, and one tier can give it. Refusing would make the request's
success depend on the classifier's score, which the client cannot see.

`n > 1` is never answered locally, whatever the local provider: a local answer is validated
one at a time, and n local calls, each validated and some escalated, would give a response
whose choices come from different models with no single usage to bill. The frontier returns
n choices from one call, billed together in that call's usage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from langchain_core.messages import BaseMessage

from asymroute.errors import UnsupportedByTierError
from asymroute.planning import RunPlan
from asymroute.providers import ModelSpec, get_provider
from asymroute.records import RoutingDecision, Tier
from asymroute.sampling import Sampling, content_kinds

LOCAL_SKIPPED = "local_skipped_unsupported"
FRONTIER_SKIPPED = "frontier_skipped_unsupported"


def accepted_kinds(
    spec: ModelSpec, accepts_content: Mapping[str, Sequence[str]] | None
) -> set[str]:
    """The non-text content the model reads: the context's word for it, else the provider's."""
    if accepts_content is not None and spec.id in accepts_content:
        return set(accepts_content[spec.id])
    kinds = getattr(get_provider(spec), "content_kinds", None)
    return set(kinds(spec.model)) if callable(kinds) else set()


def unmet_needs(
    spec: ModelSpec,
    tier: Tier,
    sampling: Sampling,
    content: Mapping[str, str],
    accepts_content: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """What the tier's model cannot honour: parameter names, then content part locations."""
    honoured: frozenset[str] = getattr(get_provider(spec), "sampling_parameters", frozenset())
    unmet = [
        name
        for name in sampling.requested()
        if name not in honoured or (name == "n" and tier == "local")
    ]
    kinds = accepted_kinds(spec, accepts_content)
    return unmet + [where for where, kind in content.items() if kind not in kinds]


def describe(unmet: Sequence[str], content: Mapping[str, str]) -> str:
    return ", ".join(f"{what} ({content[what]})" if what in content else what for what in unmet)


def route_by_capability(
    decision: RoutingDecision,
    *,
    local: ModelSpec,
    frontier: ModelSpec,
    local_unmet: Sequence[str],
    frontier_unmet: Sequence[str],
    frontier_usable: bool,
    held_local: bool,
    content: Mapping[str, str],
) -> tuple[RoutingDecision, list[str]]:
    """The decision moved to the tier that can honour the request, and the flag saying so.

    `frontier_usable`: configured and not barred by privacy (`held_local`, which is said in
    the refusal). Raises `UnsupportedByTierError` when neither tier can.
    """
    if not local_unmet and not frontier_unmet:
        return decision, []
    guarded = RoutingDecision(**decision)  # type: ignore[typeddict-item]
    if local_unmet:
        if frontier_unmet or not frontier_usable:
            raise _refusal(local, frontier, local_unmet, frontier_unmet, held_local, content)
        guarded["tier"], guarded["frontier_unavailable"] = "frontier", False
        guarded.pop("diverted_to", None)
        guarded["reasons"] = [
            f"capability: the local tier ({local.id}) cannot honour "
            f"{describe(local_unmet, content)}; the frontier answers",
            *guarded["reasons"],
        ]
        return guarded, [LOCAL_SKIPPED]
    guarded["tier"], guarded["frontier_unavailable"] = "local", False
    guarded.pop("diverted_to", None)
    guarded["reasons"] = [
        f"capability: the frontier tier ({frontier.id}) cannot honour "
        f"{describe(frontier_unmet, content)}; the local answer stands, unescalated",
        *guarded["reasons"],
    ]
    return guarded, [FRONTIER_SKIPPED]


def _refusal(
    local: ModelSpec,
    frontier: ModelSpec,
    local_unmet: Sequence[str],
    frontier_unmet: Sequence[str],
    held_local: bool,
    content: Mapping[str, str],
) -> UnsupportedByTierError:
    first = local_unmet[0]
    parts = [f"the local tier ({local.id}) cannot honour {describe(local_unmet, content)}"]
    if held_local:
        parts.append("privacy=route-local keeps this request (it holds sensitive data) local")
    elif frontier_unmet:
        parts.append(
            f"the frontier tier ({frontier.id}) cannot honour {describe(frontier_unmet, content)}"
        )
    else:
        parts.append(
            f"no frontier is configured ({frontier.id} needs OPENAI_API_KEY or OPENAI_BASE_URL)"
        )
    hint = (
        "send the part to a model that reads it, or name one in accepts_content"
        if first in content
        else f"remove '{first}' or route to a model that takes it"
    )
    return UnsupportedByTierError(f"{'; '.join(parts)}; {hint}", first)


def capability_route(
    decision: RoutingDecision, plan: RunPlan, messages: Sequence[BaseMessage], held_local: bool
) -> tuple[RoutingDecision, list[str]]:
    """`route_by_capability` for a planned run: what its context and messages ask for.
    `held_local`: privacy keeps the request on the local tier."""
    sampling, content = plan.context.sampling(), content_kinds(messages)
    if not sampling.requested() and not content:
        return decision, []
    accepts = plan.context.accepts_content
    local, frontier = plan.local, plan.frontier
    return route_by_capability(
        decision,
        local=local,
        frontier=frontier,
        local_unmet=unmet_needs(local, "local", sampling, content, accepts),
        frontier_unmet=unmet_needs(frontier, "frontier", sampling, content, accepts),
        frontier_usable=plan.frontier_available and not held_local,
        held_local=held_local,
        content=content,
    )
