"""Errors in OpenAI's shape: {"error": {"message", "type", "param", "code"}}."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from starlette.responses import Response

from asymroute.errors import (
    AsymrouteError,
    BudgetExceededError,
    ConfigurationError,
    FrontierUnavailableError,
    InvalidRequestError,
    NoAnswerError,
    UnsupportedByTierError,
)

logger = logging.getLogger(__name__)


class GatewayError(Exception):
    """An error answered to the client with `status` and OpenAI's error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def response(self) -> Response:
        return Response(
            json.dumps(self.body()),
            status_code=self.status,
            media_type="application/json",
            headers=self.headers,
        )


def invalid(message: str, param: str | None = None, code: str | None = None) -> GatewayError:
    return GatewayError(400, message, param=param, code=code)


def unsupported(param: str, why: str = "") -> GatewayError:
    detail = f": {why}" if why else ""
    return GatewayError(
        400,
        f"'{param}' is not supported by the asymroute gateway{detail}; remove it from the request",
        param=param,
        code="unsupported_parameter",
    )


def new_request_id() -> str:
    return f"req-{uuid.uuid4().hex}"


def from_router_error(exc: AsymrouteError, request_id: str | None = None) -> GatewayError:
    """The router's own errors, each with the status an OpenAI client expects.

    Errors about the request or its budget are the client's to read. Model failures quote the
    upstreams (their error text, internal URLs): those go to the log under the request id, and
    the client gets a generic message with that id.
    """
    if isinstance(exc, UnsupportedByTierError):
        code = "unsupported_content" if exc.param.startswith("messages[") else None
        return GatewayError(400, str(exc), param=exc.param, code=code or "unsupported_parameter")
    if isinstance(exc, InvalidRequestError | ConfigurationError):
        return GatewayError(400, str(exc), code="invalid_request")
    if isinstance(exc, BudgetExceededError):
        return GatewayError(429, str(exc), type="insufficient_quota", code="budget_exceeded")
    if isinstance(exc, FrontierUnavailableError):
        return GatewayError(503, str(exc), type="server_error", code="frontier_unavailable")
    request_id = request_id or new_request_id()
    logger.warning("request %s failed: %s: %s", request_id, type(exc).__name__, exc)
    if isinstance(exc, NoAnswerError):
        return GatewayError(
            502,
            f"no model could answer this request (request id {request_id}); retry later, or "
            "ask the gateway's operator, whose log has the details under that id",
            type="server_error",
            code="no_answer",
        )
    return GatewayError(
        500,
        f"the router failed on this request (request id {request_id}); the gateway's log has "
        "the details under that id",
        type="server_error",
        code="router_error",
    )
