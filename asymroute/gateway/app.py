"""The gateway's Starlette app: routes, and the router graph built once per app."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from asymroute.context import RouterContext
from asymroute.errors import AsymrouteError, ConfigurationError
from asymroute.gateway.auth import KeyRing
from asymroute.gateway.completions import (
    Run,
    overhead_ms,
    routing_headers,
    run_context,
)
from asymroute.gateway.concurrency import KeyConcurrency
from asymroute.gateway.disconnect import (
    ClientGone,
    events_until_client_leaves,
    unless_client_leaves,
)
from asymroute.gateway.errors import GatewayError, from_router_error, new_request_id
from asymroute.gateway.gc_tuning import tune_for_serving
from asymroute.gateway.health import Readiness, liveness
from asymroute.gateway.metering import Meter, worst_case_cost
from asymroute.gateway.metrics import GatewayMetrics, HttpMetrics, admin_keys, metrics_endpoint
from asymroute.gateway.profiles import profile_context, profile_names
from asymroute.gateway.rate_limits import KeyRateLimits
from asymroute.gateway.responses_request import NOT_STORED
from asymroute.gateway.schemas import DEFAULT_MAX_MESSAGES, ChatRequest, parse_json_body
from asymroute.gateway.settings import GatewaySettings, as_gateway_settings, load_gateway_settings
from asymroute.gateway.streaming import CompletionStream
from asymroute.gateway.unknown_urls import ANY_METHOD, not_served, served_endpoints
from asymroute.gateway.wires import CHAT_COMPLETIONS, RESPONSES, Wire
from asymroute.graphs.served import ServedGraphs
from asymroute.planning import RouterSetup
from asymroute.settings import Settings
from asymroute.tier_route import served_specs

logger = logging.getLogger(__name__)

JSON = "application/json"
OFF_LOOP_BODY_BYTES = 64_000
"""Bodies this large are parsed off the event loop: 20,000 short messages (700 KB) take 0.36 s
to parse, 1,000 (35 KB) 10 ms, measured on one core of the CI machine."""


def default_context(settings: GatewaySettings) -> RouterContext:
    """The gateway's routing defaults: `RouterContext` fields from ASYMROUTE_GATEWAY_CONTEXT."""
    try:
        return RouterContext(**settings.gateway_context)
    except TypeError as exc:
        raise ConfigurationError(
            f"ASYMROUTE_GATEWAY_CONTEXT has an unknown field ({exc}); "
            "use RouterContext field names such as local_model, frontier_model, threshold"
        ) from exc


@dataclass
class Gateway:
    graph: Any
    setup: RouterSetup
    defaults: RouterContext
    keys: KeyRing
    max_body_bytes: int
    in_flight: KeyConcurrency
    rate_limits: KeyRateLimits
    metrics: GatewayMetrics
    max_messages: int = DEFAULT_MAX_MESSAGES
    background: set[asyncio.Task[None]] = field(default_factory=set)
    """Spend records started where the request's own task could not await them."""

    def in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self.background.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self.background.discard)

    async def chat_completions(self, request: Request) -> Response:
        return await self.serve(request, CHAT_COMPLETIONS)

    async def responses(self, request: Request) -> Response:
        return await self.serve(request, RESPONSES)

    async def serve(self, request: Request, wire: Wire) -> Response:
        started = time.perf_counter()
        try:
            key_name = self.authenticate(request)
            slot = self.in_flight.acquire(key_name)
        except GatewayError as exc:
            self.metrics.refused(exc)
            return exc.response()
        held_by_stream = False
        try:
            response = await self.complete(request, wire, key_name, started)
            if isinstance(response, StreamingResponse):
                response.body_iterator = slot.held_by(response.body_iterator)
                held_by_stream = True
            return response
        finally:
            if not held_by_stream:
                slot.release()

    async def complete(
        self, request: Request, wire: Wire, key_name: str, started: float
    ) -> Response:
        run: Run | None = None
        try:
            chat = await self.parse(await self.read_body(request), wire)
            context = run_context(chat, profile_context(chat.model, self.defaults))
            run = Run(chat, context, key_name, started, id=wire.new_id())
            meter = await self.meter(run)
            if chat.stream:
                return await self.stream(request, run, meter, wire)
            state = await unless_client_leaves(
                request,
                meter.run(self.graph, run.graph_input, run.graph_config, run.context),
            )
        except ClientGone:
            return client_gone(run)
        except GatewayError as exc:
            self.metrics.refused(exc)
            return exc.response()
        except AsymrouteError as exc:
            return from_router_error(exc, run.id if run else None).response()
        except Exception:
            return internal_error(run.id if run else None)
        body = wire.body(run, state)
        headers = routing_headers(state) | run.trace_header | meter.rate_limit_headers
        headers["x-asymroute-overhead-ms"] = f"{overhead_ms(run, state)}"
        return Response(json.dumps(body), media_type=JSON, headers=headers)

    async def parse(self, body: bytes, wire: Wire) -> ChatRequest:
        """The request, parsed in a worker thread when it is large enough to stall the loop."""

        def parse() -> ChatRequest:
            return wire.parse(parse_json_body(body), self.max_messages)

        if len(body) < OFF_LOOP_BODY_BYTES:
            return parse()
        return await asyncio.to_thread(parse)

    async def meter(self, run: Run) -> Meter:
        """The run's meter, admitted by the key's rate limits and with its worst case reserved
        against the key's budget (or 429)."""
        plan = await self.setup.aplan(run.context)
        estimate = worst_case_cost(
            self.setup, plan, run.request.messages, run.context.max_output_tokens
        )
        admission = await self.rate_limits.admit(  # n choices: up to n answers' tokens
            run.key_name,
            run.request.messages,
            run.context.max_output_tokens * run.context.n,
            run.context.tools,
        )
        try:
            reservation = await self.keys.reserve(run.key_name, estimate)
        except GatewayError:
            await admission.settled_with(0)  # refused before any model call: no tokens used
            raise
        observed = self.metrics.run(run.request.model, run.key_name, run.started)
        return Meter(
            self.keys,
            run.key_name,
            run.id,
            estimate,
            reservation,
            self.in_background,
            rate_limit_headers=admission.headers,
            listeners=(admission, observed),
        )

    async def stream(self, request: Request, run: Run, meter: Meter, wire: Wire) -> Response:
        headers = {"cache-control": "no-cache", "x-accel-buffering": "no"} | run.trace_header
        headers |= meter.rate_limit_headers
        plan = await self.setup.aplan(run.context)  # prices and names the frontier as served
        served = partial(self.setup.spec, plan, "frontier")
        deployments = partial(served_specs, self.setup, plan, "frontier")
        stream = CompletionStream(
            run, headers, meter, plan=plan, served_frontier=served, frontier_deployments=deployments
        )
        events = stream.events(self.graph)
        if wire.events is not None:
            events = wire.events(run, events)
        # Wait for the first event: errors before it are still proper HTTP errors, and the
        # routing headers are known by then.
        first = await unless_client_leaves(request, events.__anext__())
        rest = events_until_client_leaves(request, events, self.in_background)
        return StreamingResponse(
            _prepend(first, rest), media_type="text/event-stream", headers=headers
        )

    def authenticate(self, request: Request) -> str:
        """The request's key name; a GatewayError (401) without a valid key."""
        return self.keys.authenticate(
            request.headers.get("authorization"),
            request.client.host if request.client else None,
        )

    async def list_models(self, request: Request) -> Response:
        try:
            self.authenticate(request)
        except GatewayError as exc:
            return exc.response()
        data = [model_object(name) for name in profile_names()]
        return Response(json.dumps({"object": "list", "data": data}), media_type=JSON)

    async def retrieve_model(self, request: Request) -> Response:
        name = request.path_params["model"]
        try:
            self.authenticate(request)
            profile_context(name, self.defaults)  # 404 for an unknown name
        except GatewayError as exc:
            return exc.response()
        return Response(json.dumps(model_object(name)), media_type=JSON)

    async def stored_response(self, request: Request) -> Response:
        """GET or DELETE /v1/responses/{id} (and its cancel, input_items): nothing is stored,
        so every id is unknown; said plainly."""
        try:
            self.authenticate(request)
        except GatewayError as exc:
            return exc.response()
        return GatewayError(404, NOT_STORED, code="response_not_stored").response()

    async def read_body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise too_large(self.max_body_bytes)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body_bytes:
                raise too_large(self.max_body_bytes)
            chunks.append(chunk)
        return b"".join(chunks)


def model_object(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": "asymroute"}


async def _prepend(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for event in rest:
        yield event


def too_large(limit: int) -> GatewayError:
    return GatewayError(
        413,
        f"the request body is over the limit of {limit} bytes; send less, or raise "
        "ASYMROUTE_GATEWAY_MAX_BODY_BYTES",
        code="request_too_large",
    )


def client_gone(run: Run | None) -> Response:
    """Nobody reads this response; it ends the handler (uvicorn drops it)."""
    request = run.id if run else "a request"
    logger.info("client of %s disconnected before the answer started: run cancelled", request)
    return Response(status_code=499)


def internal_error(request_id: str | None = None) -> Response:
    request_id = request_id or new_request_id()
    logger.exception("the gateway failed on request %s", request_id)
    return GatewayError(
        500,
        f"internal error in the asymroute gateway (request id {request_id}); its log has the "
        "details under that id",
        type="server_error",
    ).response()


def create_app(
    settings: Settings | None = None, defaults: RouterContext | None = None
) -> Starlette:
    """The gateway app; the router graph, key ring and spend store are built here, once.

    `settings`: `GatewaySettings`; plain `Settings` get the gateway's from the environment.
    """
    settings = as_gateway_settings(settings) if settings is not None else load_gateway_settings()
    defaults = defaults if defaults is not None else default_context(settings)
    graphs = ServedGraphs.build(settings, defaults)
    metrics = GatewayMetrics(graphs.setup.resilience.breakers)
    gateway = Gateway(
        graph=graphs.router,
        setup=graphs.setup,
        defaults=defaults,
        keys=KeyRing.from_settings(settings),
        max_body_bytes=settings.gateway_max_body_bytes,
        in_flight=KeyConcurrency(settings.gateway_max_concurrent_per_key),
        max_messages=settings.gateway_max_messages,
        rate_limits=KeyRateLimits.from_settings(settings),
        metrics=metrics,
    )
    serve_metrics = metrics_endpoint(metrics, gateway.keys, admin_keys(settings))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if settings.gateway_tune_gc:
            tune_for_serving()
        await asyncio.to_thread(gateway.keys.recover)  # reservations a killed gateway left
        yield
        await asyncio.gather(*gateway.background)  # spend records still being written
        await gateway.setup.aclose()
        await asyncio.to_thread(gateway.setup.resilience.breakers.close)
        gateway.keys.spend.close()

    readiness = Readiness(gateway.keys, gateway.rate_limits)
    routes = [
        Route("/v1/chat/completions", gateway.chat_completions, methods=["POST"]),
        Route("/v1/responses", gateway.responses, methods=["POST"]),
        # Retrieve, delete, cancel, list input items: each needs a stored response.
        Route(
            "/v1/responses/{response_id:path}",
            gateway.stored_response,
            methods=["GET", "DELETE", "POST"],
        ),
        Route("/v1/models", gateway.list_models, methods=["GET"]),
        Route("/v1/models/{model:path}", gateway.retrieve_model, methods=["GET"]),
        Route("/health/liveness", liveness, methods=["GET"]),
        Route("/health/readiness", readiness.respond, methods=["GET"]),
        Route("/metrics", serve_metrics, methods=["GET"]),
    ]
    # Last: every other /v1 path (the LangGraph server serves none; its routes come after).
    unknown = not_served(served_endpoints(routes))
    routes.append(Route("/v1/{path:path}", unknown, methods=ANY_METHOD))
    app = Starlette(
        lifespan=lifespan,
        routes=routes,
        middleware=[Middleware(HttpMetrics, metrics=metrics, routes=routes)],
    )
    app.state.gateway = gateway
    return app
