"""Requests for anything the gateway does not serve, answered in OpenAI's error shape.

Starlette's own 404 and 405 are plain text, which an OpenAI client turns into an error without
a message (`client.embeddings.create` would say only "Not Found"). Every other `/v1` path, and a
served path asked with another method, gets an error naming what is served instead. The route
covers `/v1` only: when the gateway is mounted in the LangGraph server, its routes come before
the server's own, none of which is under `/v1`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from asymroute.gateway.errors import GatewayError

ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
SERVED = {
    "/v1/chat/completions": "POST",
    "/v1/responses": "POST",
    "/v1/models": "GET",
}
"""The API's paths and their method, named to a client that asks for anything else."""


async def not_served(request: Request) -> Response:
    """Any other `/v1` path, or a served path with another method: an OpenAI-style error
    naming what is served."""
    path, method = request.url.path.rstrip("/"), request.method
    served = ", ".join(f"{verb} {route}" for route, verb in SERVED.items())
    if path in SERVED and method == SERVED[path]:  # the path with a trailing slash
        return GatewayError(
            404,
            f"{method} {request.url.path} is not served; send it to {path}, without the slash",
            code="unknown_url",
        ).response()
    if path in SERVED:
        return GatewayError(
            405,
            f"{method} {path} is not served; send {SERVED[path]} {path}",
            code="method_not_allowed",
        ).response()
    return GatewayError(
        404,
        f"the asymroute gateway does not serve {method} {path}; it serves {served}",
        code="unknown_url",
    ).response()
