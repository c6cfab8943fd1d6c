"""Routing guards applied after the classifier: sensitive data and endpoint cooldowns.

The classifier says how hard a request is; these say where it may and can go. Privacy
(policy `route-local`) moves a request holding sensitive data to the local tier whatever its
score. A tier whose endpoint is cooling down after repeated failures is skipped: the request
starts on the other tier (`diverted_to`), unless that one is cooling down too, unavailable,
or, for the frontier, barred by privacy.

Capability: a tier that cannot honour what the request asks for is skipped.
A request may ask for sampling parameters (`providers.sampling`) or carry non-text content
(images, audio, files). A tier whose model cannot honour them is skipped, and the result says
so with a flag: `local_skipped_unsupported` (the frontier answers; no local answer, no local
fallback) or `frontier_skipped_unsupported` (the local answer stands; no escalation). When no
usable tier can honour them, the request is refused with a 400 naming what and which tier.

A tier from a model list none of whose deployments fits the request (a stated context window,
vision or JSON mode: `deployments.tier_unfit`) is unable in the same way; the unmet need reads
`deployments (a: context_window_too_small, ...)`, and a refusal's `param` is `messages`.

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

from asymroute.context import RouterContext
from asymroute.errors import UnsupportedByTierError
from asymroute.privacy.base import PRIVACY_OFF, PRIVACY_REDACT, PRIVACY_ROUTE_LOCAL
from asymroute.privacy.policy import conversation_categories
from asymroute.providers import ModelSpec, get_provider, sampling_parameters
from asymroute.providers.sampling import Sampling, content_kinds
from asymroute.records import (
    ENDPOINT_COOLDOWN,
    PRIVACY_LOCAL,
    PRIVACY_REDACTED,
    RoutingDecision,
    Tier,
)


def privacy_findings(mode: str, messages: Sequence[BaseMessage]) -> list[str]:
    return [] if mode == PRIVACY_OFF else conversation_categories(messages)


def guard_route(
    decision: RoutingDecision,
    *,
    privacy_mode: str,
    privacy: Sequence[str],
    cooling_down: Sequence[Tier],
    frontier_available: bool,
) -> tuple[RoutingDecision, list[str]]:
    """The decision with guards applied, and the flags they raise."""
    guarded = RoutingDecision(**decision)  # type: ignore[typeddict-item]
    flags: list[str] = []
    held = bool(privacy) and privacy_mode == PRIVACY_ROUTE_LOCAL
    if privacy and privacy_mode in (PRIVACY_ROUTE_LOCAL, PRIVACY_REDACT):
        guarded["privacy"] = sorted(privacy)
        found = ", ".join(sorted(privacy))
        if held:
            guarded["tier"] = "local"
            guarded["frontier_unavailable"] = False
            guarded["reasons"] = [
                f"privacy: {found} found; kept on the local tier",
                *guarded["reasons"],
            ]
            flags.append(PRIVACY_LOCAL)
        else:
            guarded["reasons"] = [
                *guarded["reasons"],
                f"privacy: {found} redacted for the frontier",
            ]
            flags.append(PRIVACY_REDACTED)
    if cooling_down:
        guarded["cooling_down"] = sorted(set(cooling_down))
    planned: Tier = "frontier" if _starts_on_frontier(guarded) else "local"
    other: Tier = "local" if planned == "frontier" else "frontier"
    other_usable = other == "local" or (frontier_available and not held)
    if planned in cooling_down and other not in cooling_down and other_usable:
        guarded["diverted_to"] = other
        guarded["reasons"] = [
            *guarded["reasons"],
            f"cooldown: the {planned} endpoint is cooling down after repeated failures; "
            f"starting on the {other} tier",
        ]
        flags.append(ENDPOINT_COOLDOWN)
    return guarded, flags


def _starts_on_frontier(decision: RoutingDecision) -> bool:
    return decision["tier"] == "frontier" and not decision["frontier_unavailable"]


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
    honoured = sampling_parameters(spec)
    unmet = [
        name
        for name in sampling.requested()
        if name not in honoured or (name == "n" and tier == "local")
    ]
    kinds = accepted_kinds(spec, accepts_content)
    return unmet + [where for where, kind in content.items() if kind not in kinds]


DEPLOYMENTS = "deployments"
"""What a tier none of whose deployments fits the request cannot honour."""


def unfit_need(unfit: Mapping[str, str]) -> str:
    """`deployments (a: context_window_too_small, b: no_json_mode)`: each one and why not."""
    return f"{DEPLOYMENTS} ({', '.join(f'{name}: {why}' for name, why in unfit.items())})"


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
    if local_unmet and (frontier_unmet or not frontier_usable):
        raise _refusal(local, frontier, local_unmet, frontier_unmet, held_local, content)
    to: Tier = "frontier" if local_unmet else "local"
    skipped, unmet = (local, local_unmet) if local_unmet else (frontier, frontier_unmet)
    outcome = "the frontier answers" if local_unmet else "the local answer stands, unescalated"
    guarded = RoutingDecision(**decision)  # type: ignore[typeddict-item]
    guarded["tier"], guarded["frontier_unavailable"] = to, False
    guarded.pop("diverted_to", None)
    guarded["reasons"] = [
        f"capability: the {'local' if local_unmet else 'frontier'} tier ({skipped.id}) cannot "
        f"honour {describe(unmet, content)}; {outcome}",
        *guarded["reasons"],
    ]
    return guarded, [LOCAL_SKIPPED if local_unmet else FRONTIER_SKIPPED]


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
    if first.startswith(DEPLOYMENTS):
        hint = (
            "shorten the conversation or lower max_tokens, drop the images or response_format, "
            "or add a deployment that fits to the model list"
        )
        return UnsupportedByTierError(f"{'; '.join(parts)}; {hint}", "messages")
    hint = (
        "send the part to a model that reads it, or name one in accepts_content"
        if first in content
        else f"remove '{first}' or route to a model that takes it"
    )
    return UnsupportedByTierError(f"{'; '.join(parts)}; {hint}", first)


def capability_route(
    decision: RoutingDecision,
    context: RouterContext,
    messages: Sequence[BaseMessage],
    *,
    local: ModelSpec,
    frontier: ModelSpec,
    frontier_available: bool,
    held_local: bool,
    local_unfit: Mapping[str, str] | None = None,
    frontier_unfit: Mapping[str, str] | None = None,
) -> tuple[RoutingDecision, list[str]]:
    """`route_by_capability` for a run: what its context and messages ask for.
    `held_local`: privacy keeps the request on the local tier. `*_unfit`: each deployment's
    reason, for a tier none of whose deployments fits the request (`tier_unfit`)."""
    sampling, content = context.sampling(), content_kinds(messages)
    if not sampling.requested() and not content and not local_unfit and not frontier_unfit:
        return decision, []
    accepts = context.accepts_content
    local_unmet = unmet_needs(local, "local", sampling, content, accepts)
    frontier_unmet = unmet_needs(frontier, "frontier", sampling, content, accepts)
    return route_by_capability(
        decision,
        local=local,
        frontier=frontier,
        local_unmet=local_unmet + ([unfit_need(local_unfit)] if local_unfit else []),
        frontier_unmet=frontier_unmet + ([unfit_need(frontier_unfit)] if frontier_unfit else []),
        frontier_usable=frontier_available and not held_local,
        held_local=held_local,
        content=content,
    )
