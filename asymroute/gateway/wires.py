"""The APIs the gateway speaks: how each reads its request and writes its answer.

Chat Completions and the Responses API share everything between: authentication, limits,
budgets, the router run, metering and the chat stream's decisions about what a client may see.
A wire only parses its own request into a `ChatRequest` and shapes the run's answer.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from asymroute.gateway.completions import Run, completion_body
from asymroute.gateway.responses_output import response_body
from asymroute.gateway.responses_request import parse_responses_request
from asymroute.gateway.responses_stream import response_events
from asymroute.gateway.schemas import ChatRequest, parse_chat_request

Events = AsyncGenerator[bytes, None]


@dataclass(frozen=True)
class Wire:
    parse: Callable[[dict[str, Any], int], ChatRequest]
    body: Callable[[Run, Mapping[str, Any]], dict[str, Any]]
    new_id: Callable[[], str]
    events: Callable[[Run, Events], Events] | None = None
    """Re-expresses the chat stream's chunks; None sends them as they are."""


CHAT_COMPLETIONS = Wire(
    parse=parse_chat_request,
    body=completion_body,
    new_id=lambda: f"chatcmpl-{uuid.uuid4().hex}",
)
RESPONSES = Wire(
    parse=parse_responses_request,
    body=response_body,
    new_id=lambda: f"resp_{uuid.uuid4().hex}",
    events=response_events,
)
