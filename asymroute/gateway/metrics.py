"""The gateway's operations metrics, served by `GET /metrics` in Prometheus's text format.

On `prometheus_client`, in a registry of the app's own (two apps in one process, as in tests,
do not share counts). Who may read them: `metrics_endpoint`.

- HTTP level (`HttpMetrics`, an ASGI middleware): every response by route and status.
- Run level (`RunMetrics`, told by the run's `Meter` when it settles): chat requests by
  profile, routed and answering tier and outcome; escalations by failed validator; tokens and
  USD by key and tier; latency: whole request, model calls, and the gateway's overhead
  (the request's time not spent waiting on model calls).
- Refusals (`GatewayMetrics.refused`): every error the gateway answers itself, by status and
  code (budget_exceeded, rate_limit_exceeded, concurrency_limit_exceeded, invalid_api_key...).
- Breakers: each endpoint's breaker state (0 closed, 1 half-open, 2 open), read at scrape time.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from asymroute.errors import ConfigurationError
from asymroute.gateway.auth import KeyRing
from asymroute.gateway.errors import GatewayError
from asymroute.gateway.settings import GatewaySettings
from asymroute.resilience.breaker import BreakerRegistry

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
OVERHEAD_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1)
BREAKER_STATES = {"closed": 0, "half-open": 1, "open": 2}
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
"""Set by `asymroute serve --workers N` (N > 1) before its workers start (asymroute.cli.serve)."""


class GatewayMetrics:
    def __init__(self, breakers: BreakerRegistry | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.http_responses = Counter(
            "asymroute_http_responses", "HTTP responses", ["route", "status"], registry=r
        )
        self.requests = Counter(
            "asymroute_chat_requests",
            "chat completions that reached the router, by profile, the tier the classifier "
            "chose (routed_tier), the tier that answered (tier), the deployment that answered "
            "(its model-list id, else its provider:model) and outcome",
            ["profile", "routed_tier", "tier", "deployment", "outcome"],
            registry=r,
        )
        self.escalations = Counter(
            "asymroute_escalations",
            "local answers escalated to the frontier, by failed validator",
            ["reason"],
            registry=r,
        )
        self.tokens = Counter(
            "asymroute_tokens",
            "model tokens",
            ["key", "tier", "deployment", "direction"],
            registry=r,
        )
        self.cost = Counter(
            "asymroute_cost_usd", "model spend", ["key", "tier", "deployment"], registry=r
        )
        self.fallbacks = Counter(
            "asymroute_deployment_fallbacks",
            "tier calls answered (or failed) on another deployment than the first tried, by "
            "the deployment that failed first",
            ["tier", "deployment"],
            registry=r,
        )
        self.skips = Counter(
            "asymroute_deployment_skips",
            "deployments skipped by a tier call, by why: cooling_down, at_concurrency_limit",
            ["tier", "deployment", "reason"],
            registry=r,
        )
        self.refusals = Counter(
            "asymroute_refusals",
            "errors the gateway answered itself, by status and code",
            ["status", "code"],
            registry=r,
        )
        self.duration = Histogram(
            "asymroute_request_duration_seconds",
            "chat completion, from arrival to its last byte",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.upstream = Histogram(
            "asymroute_upstream_seconds",
            "time a chat completion spent in model calls",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.overhead = Histogram(
            "asymroute_gateway_overhead_seconds",
            "time a chat completion spent in the gateway, not waiting on model calls",
            buckets=OVERHEAD_BUCKETS,
            registry=r,
        )
        self.breakers = breakers
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_DIR))
        """Decided when the app is built, in the worker, as prometheus_client decided on import."""
        if breakers is not None:
            r.register(BreakerCollector(breakers))

    def refused(self, error: GatewayError) -> None:
        self.refusals.labels(str(error.status), error.code or error.type).inc()

    def run(self, profile: str, key: str, started: float) -> RunMetrics:
        return RunMetrics(self, profile, key, started)

    def exposition(self) -> bytes:
        """The registry's text; under `asymroute serve --workers N`, every worker's counts
        summed (prometheus_client's multiprocess mode, PROMETHEUS_MULTIPROC_DIR), with this
        worker's breakers."""
        if not self.multiprocess:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        if self.breakers is not None:
            registry.register(BreakerCollector(self.breakers))
        return generate_latest(registry)


@dataclass
class RunMetrics:
    """A `metering.RunListener`: counts one run when it settles."""

    metrics: GatewayMetrics
    profile: str
    key: str
    started: float

    async def run_settled(self, state: Mapping[str, Any], outcome: str) -> None:
        self.observe(state, outcome)

    def observe(self, state: Mapping[str, Any], outcome: str) -> None:
        m = self.metrics
        routed = (state.get("decision") or {}).get("tier") or "none"
        tier = state.get("answered_by") or "none"
        m.requests.labels(self.profile, routed, tier, answering_deployment(state), outcome).inc()
        if state.get("escalated"):
            for reason in escalation_reasons(state):
                m.escalations.labels(reason).inc()
        for record in state.get("usage", []):
            tier, deployment = record["tier"], deployment_of(record)
            m.tokens.labels(self.key, tier, deployment, "input").inc(record["input_tokens"])
            m.tokens.labels(self.key, tier, deployment, "output").inc(record["output_tokens"])
            m.cost.labels(self.key, tier, deployment).inc(record["cost_usd"])
            for failed in record.get("fallback_from", []):
                m.fallbacks.labels(tier, failed).inc()
            for skipped, reason in record.get("skipped", {}).items():
                m.skips.labels(tier, skipped, reason).inc()
        elapsed = time.perf_counter() - self.started
        upstream = sum(record["latency_s"] for record in state.get("usage", []))
        m.duration.observe(elapsed)
        m.upstream.observe(upstream)
        m.overhead.observe(max(0.0, elapsed - upstream))


def deployment_of(record: Mapping[str, Any]) -> str:
    """A usage record's deployment: its model-list id, else its `provider:model`."""
    return str(record.get("deployment") or record["model"])


def answering_deployment(state: Mapping[str, Any]) -> str:
    tier = state.get("answered_by")
    answered = [r for r in state.get("usage", []) if r["tier"] == tier and not r["error"]]
    return deployment_of(answered[-1]) if answered else "none"


def escalation_reasons(state: Mapping[str, Any]) -> list[str]:
    """The validators that failed (their names, not their text, which may quote the answer)."""
    verdict = state.get("verdict") or {}
    if verdict and not verdict.get("passed", True):
        names = sorted({reason.split(":", 1)[0] for reason in verdict.get("reasons", [])})
        return names or ["validation"]
    return ["other"]


class BreakerCollector(Collector):
    def __init__(self, breakers: BreakerRegistry) -> None:
        self.breakers = breakers
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_DIR))
        """Decided when the app is built, in the worker, as prometheus_client decided on import."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "asymroute_breaker_state",
            "endpoint circuit breakers: 0 closed, 1 half-open, 2 open",
            labels=["endpoint"],
        )
        for status in self.breakers.statuses():
            gauge.add_metric([status.endpoint], BREAKER_STATES[status.state])
        yield gauge
        if self.breakers.shared is not None:
            yield GaugeMetricFamily(
                "asymroute_breaker_shared",
                "1 while breaker state is shared with other replicas through Redis, 0 while "
                "Redis cannot be reached and this process keeps its own",
                value=float(self.breakers.shared),
            )


class HttpMetrics:
    """ASGI middleware: counts each HTTP response by route (its path template) and status."""

    def __init__(self, app: ASGIApp, metrics: GatewayMetrics, routes: list[Route]) -> None:
        self.app, self.metrics, self.routes = app, metrics, routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = self.route_of(scope)

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.metrics.http_responses.labels(route, str(message["status"])).inc()
            await send(message)

        await self.app(scope, receive, counted)

    def route_of(self, scope: Scope) -> str:
        for route in self.routes:
            if route.matches(scope)[0] == Match.FULL:
                return route.path
        return "other"  # unknown paths are not labels: a scanner would grow them without end


def admin_keys(settings: GatewaySettings) -> frozenset[str]:
    unknown = sorted(set(settings.gateway_admin_keys) - set(settings.gateway_keys))
    if unknown:
        raise ConfigurationError(
            f"ASYMROUTE_GATEWAY_ADMIN_KEYS names keys not in ASYMROUTE_GATEWAY_KEYS: "
            f"{', '.join(unknown)}"
        )
    return frozenset(settings.gateway_admin_keys)


def metrics_endpoint(metrics: GatewayMetrics, keys: KeyRing, admin_keys: frozenset[str]) -> Any:
    """`GET /metrics` for admin keys (ASYMROUTE_GATEWAY_ADMIN_KEYS); a gateway without keys
    serves it as it serves everything else: to loopback clients only, unless configured."""

    async def serve_metrics(request: Request) -> Response:
        try:
            name = keys.authenticate(
                request.headers.get("authorization"),
                request.client.host if request.client else None,
            )
            if keys.enabled and name not in admin_keys:
                raise GatewayError(
                    403,
                    f"key '{name}' may not read the metrics; list it in "
                    "ASYMROUTE_GATEWAY_ADMIN_KEYS",
                    type="permission_error",
                    code="not_admin",
                )
        except GatewayError as exc:
            return exc.response()
        # Rendering walks every series (one per key and tier...): off the event loop.
        body = await asyncio.to_thread(metrics.exposition)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return serve_metrics
