"""Requests for anything the gateway does not serve, answered in OpenAI's error shape.

Starlette's own 404 and 405 are plain text, which an OpenAI client turns into an error without
a message (`client.embeddings.create` would say only "Not Found"). Every other `/v1` path, and a
served path asked with another method, gets an error naming what is served instead. The route
covers `/v1` only: when the gateway is mounted in the LangGraph server, its routes come before
the server's own, none of which is under `/v1`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from asymroute.gateway.errors import GatewayError

ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def served_endpoints(routes: Sequence[BaseRoute]) -> dict[str, str]:
    """The API's fixed paths among `routes`, each with its method (each takes one; Starlette
    lets a GET route answer HEAD too), in the routes' order."""
    return {
        route.path: sorted((route.methods or set()) - {"HEAD"})[0]
        for route in routes
        if isinstance(route, Route) and route.path.startswith("/v1/") and "{" not in route.path
    }


def not_served(served: Mapping[str, str]) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint for any other `/v1` path, or a served path asked with another method: an
    OpenAI-style error naming what is `served`."""
    listed = ", ".join(f"{verb} {route}" for route, verb in served.items())

    async def answer(request: Request) -> Response:
        path, method = request.url.path.rstrip("/"), request.method
        if path in served and method == served[path]:  # the path with a trailing slash
            return GatewayError(
                404,
                f"{method} {request.url.path} is not served; send it to {path}, without the slash",
                code="unknown_url",
            ).response()
        if path in served:
            return GatewayError(
                405,
                f"{method} {path} is not served; send {served[path]} {path}",
                code="method_not_allowed",
            ).response()
        return GatewayError(
            404,
            f"the asymroute gateway does not serve {method} {path}; it serves {listed}",
            code="unknown_url",
        ).response()

    return answer
