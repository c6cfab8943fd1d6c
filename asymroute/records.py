"""Typed records of what happened to a request; they live in graph state and results."""

from __future__ import annotations

from typing import Literal

from typing_extensions import TypedDict

Tier = Literal["local", "frontier"]

# Why a request was answered somewhere other than where it should have been.
FRONTIER_UNAVAILABLE = "frontier_unavailable"
FRONTIER_FAILED = "frontier_failed"
VALIDATION_FAILED_UNESCALATED = "validation_failed_unescalated"


class RoutingDecision(TypedDict):
    tier: Tier
    score: float
    threshold: float
    reasons: list[str]
    classifier: str
    frontier_unavailable: bool


class ValidationVerdict(TypedDict):
    passed: bool
    reasons: list[str]
    validators: list[str]
    skipped: bool


class UsageRecord(TypedDict):
    model: str
    tier: Tier
    input_tokens: int
    output_tokens: int
    latency_s: float
    cost_usd: float
    priced: bool
    error: str | None
