"""Routing guards applied after the classifier: sensitive data and endpoint cooldowns.

The classifier says how hard a request is; these say where it may and can go. Privacy
(policy `route-local`) moves a request holding sensitive data to the local tier whatever its
score. A tier whose endpoint is cooling down after repeated failures is skipped: the request
starts on the other tier (`diverted_to`), unless that one is cooling down too, unavailable,
or, for the frontier, barred by privacy.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import BaseMessage

from asymroute.privacy.base import PRIVACY_OFF, PRIVACY_REDACT, PRIVACY_ROUTE_LOCAL
from asymroute.privacy.policy import conversation_categories
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
